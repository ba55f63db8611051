{'name': 'cronhold', 'version': '1', 'depends': ['cronbook'],
 'summary': 'Test addon: a job whose first run hangs, to kill its server mid-job'}
