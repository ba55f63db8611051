{'name': 'skipme', 'version': '1', 'depends': ['web'], 'installable': 0}
