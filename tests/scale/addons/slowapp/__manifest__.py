{'name': 'slowapp', 'version': '1', 'depends': ['web'], 'summary': 'slow database calls for the scale tests'}
