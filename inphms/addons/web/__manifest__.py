{
    'name': 'web',
    'version': '0.1',
    'depends': ['base'],
    'summary': 'Layout (header, body frame, footer), static libraries, login page, dashboard',
}
