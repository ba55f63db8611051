{
    'name': 'products',
    'version': '1.0',
    'depends': ['web'],
    'summary': 'The example app: products with their history, list, search, form, admin page and a cron job',
    'dashboard': [
        {'title': 'Products', 'explain': 'The product catalogue: list, search, add and edit', 'page': 'prodlist'},
        {'title': 'Product admin', 'explain': 'Counts, and switching products off and on (admins)', 'page': 'prodadmin'},
    ],
}
