{'name': 'cronslow', 'version': '1', 'depends': ['cronbook'],
 'summary': 'Test addon: a job that runs long and a job that raises'}
