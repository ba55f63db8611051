{
    'name': 'base',
    'version': '0.1',
    'depends': [],
    'summary': 'Core tables (users, ses, gen, logs, cron, archives), login and the built-in cron jobs',
}
