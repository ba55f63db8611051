{
    'name': 'benchapp',
    'version': '1.0',
    'depends': ['web'],
    'summary': 'The API of the benchmark (tests/bench/run.py): one session write per call',
}
