{'name': 'galeraapp', 'version': '1', 'depends': ['web'], 'summary': 'writes for the Galera cluster test'}
