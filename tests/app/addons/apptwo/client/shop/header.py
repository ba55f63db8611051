def header(data):
    return "<header id=shophead>shop header from apptwo</header>"
