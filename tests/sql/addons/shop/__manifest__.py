{
    'name': 'shop',
    'version': '0.1',
    'depends': ['base'],
    'summary': 'Test addon of the database tests: categories and products',
}
