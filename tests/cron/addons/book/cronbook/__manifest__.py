{
    'name': 'cronbook',
    'version': '1',
    'depends': ['base'],
    'summary': 'Test addon: jobs write what they do to cron_book; prod_log is archived',
    'archive': ['prod_log'],
}
