# api_save_note.py - keeps a note in the session; answers by printing, as cgi.py-era APIs do
import json

from tools.db_ses import *


def api_save_note(data):
    ses = data["post"]["info"]["ses"]
    note = data["post"]["input"]["note"]
    add2ses(ses, {"note": note})
    print(',"allow":1')
    print(f',"saved":{len(note)}')
    print(f',"note":{json.dumps(note)}')
