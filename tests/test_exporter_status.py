"""The exporter status `/router/health` shows, as shared between workers (no socket, no process)."""

from __future__ import annotations

from pathlib import Path

from plugins.metrics.exporter_status import OFF, STATUS_NAME, ExporterStatus, read_status, write_status


def test_the_elected_workers_status_reads_back_in_every_worker(tmp_path: Path) -> None:
    serving = ExporterStatus("serving", "127.0.0.1", 41234, 77)
    write_status(tmp_path, serving)
    assert read_status(tmp_path, alive=lambda pid: pid == 77) == serving
    assert [p.name for p in tmp_path.iterdir()] == [STATUS_NAME]  # no partial file left behind


def test_a_dead_elected_worker_reads_as_lost_with_its_port_and_pid(tmp_path: Path) -> None:
    write_status(tmp_path, ExporterStatus("serving", "127.0.0.1", 41234, 77))
    assert read_status(tmp_path, alive=lambda pid: False) == ExporterStatus("lost", "127.0.0.1", 41234, 77)


def test_no_status_or_a_torn_one_reads_as_lost(tmp_path: Path) -> None:
    assert read_status(tmp_path, alive=lambda pid: True).state == "lost"
    (tmp_path / STATUS_NAME).write_text('{"state": "serv')
    assert read_status(tmp_path, alive=lambda pid: True).state == "lost"


def test_the_json_names_the_answering_worker_beside_the_serving_one() -> None:
    status = ExporterStatus("bind_failed", "127.0.0.1", 8001, 10)
    assert status.as_json(answered_by=11) == {
        "state": "bind_failed", "host": "127.0.0.1", "port": 8001, "pid": 10, "answered_by": 11,
    }
    assert OFF.as_json(answered_by=11) == {
        "state": "off", "host": None, "port": None, "pid": None, "answered_by": 11,
    }
