{'name': 'cronover', 'version': '1', 'depends': ['base'],
 'summary': 'Test addon: overrides ses_expire; broken job files'}
