{'name': 'slowdb', 'version': '1', 'depends': ['web'], 'summary': 'APIs that keep the database busy, for the failing-database tests'}
