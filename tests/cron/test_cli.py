"""`inphms-bin cron list` and `inphms-bin cron run JOB`, on both engines."""


def line_of(out, name):
    found = [l for l in out.splitlines() if l.split()[:1] == [name]]
    assert len(found) == 1, out
    return found[0]


def test_cron_list_and_run(crondb, servers):
    group = servers(crondb, "book", "slow")
    rc, out, err = group.cli("cron", "list")
    assert rc == 0, err
    assert out.splitlines()[0].split()[:3] == ["name", "every", "active"]
    for name, every in (("archive", 3600), ("boom", 1), ("ses_expire", 300), ("slow", 1), ("tick", 2)):
        cols = line_of(out, name).split()
        assert cols[1:3] == [str(every), "1"]
        assert "never run" in line_of(out, name)

    rc, out, err = group.cli("cron", "run", "tick")
    assert (rc, out.strip()) == (0, "cron job tick: ok"), err
    assert crondb.value("SELECT COUNT(*) FROM cron_book WHERE name = 'tick'") == 1

    rc, out, err = group.cli("cron", "run", "boom")
    assert rc == 1
    assert "cron job boom: error: ValueError: boom " in out
    assert "Traceback (most recent call last)" in err

    crondb.query("UPDATE cron SET is_active = 0 WHERE name = 'slow'")
    rc, out, err = group.cli("cron", "list")
    assert rc == 0
    assert " ok " in line_of(out, "tick") + " "
    assert "error: ValueError: boom" in line_of(out, "boom")
    assert line_of(out, "slow").split()[2] == "0"
    # a run by hand leaves the schedule alone and frees the lease
    w = crondb.query("SELECT last_status, lease_owner FROM cron WHERE name = 'tick'")[0]
    assert tuple(w) == ("ok", None)


def test_cron_run_refuses_unknown_jobs_and_bad_arguments(crondb, servers):
    group = servers(crondb, "book")
    rc, out, err = group.cli("cron", "run", "nope")
    assert rc == 2 and "no job 'nope'" in err and "archive, ses_expire, tick" in err
    assert group.cli("cron", "run")[0] == 2
    assert group.cli("cron", "dance")[0] == 2
    assert group.cli("cron", "list", "extra")[0] == 2
