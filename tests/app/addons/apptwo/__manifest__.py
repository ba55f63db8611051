{'name': 'apptwo', 'version': '1', 'depends': ['appone'], 'summary': 'overrides appone'}
