{'name': 'appone', 'version': '1', 'depends': ['web'], 'summary': 'pages and apis the tests call'}
