def api_echo(data):
    i = data["post"]["input"]
    return {"got": i, "n": 7, "f": 1.5, "t": "text", "l": [1, "a"], "z": None, "ok": 1,
            "user_id": data["user_id"], "par": data["par"]}
