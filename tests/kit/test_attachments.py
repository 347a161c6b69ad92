"""Attachments (issue 7, point 5): one model for every module, limits per use, nothing stored when refused,
downloads only through the owner's access.

The worked example is core's organisation documents (use ``organisation.document``: PDF, DOCX, XLSX, PNG,
JPEG up to 20 MB) on the organisation 浦口—南谯同城办 of the demo: office_pn may change it, auditor_pn and
officer_pukou see it without changing it, office_jb (another zone) does not see it."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from tongcheng.core.models import AuditEntry, Organisation
from tongcheng.kit.attachments import services, uses
from tongcheng.kit.attachments.filetypes import clean_filename, detect
from tongcheng.kit.attachments.models import Attachment
from tongcheng.kit.attachments.storage import attachment_storage, stored_keys
from tongcheng.kit.documents import Column, Sheet, pdf_document, xlsx_workbook

pytestmark = pytest.mark.django_db

ORG = "pukou-nanqiao-office"
UPLOAD_URL = f"/organisations/{ORG}/documents/"
PAGE_URL = f"/organisations/{ORG}/"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(400)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def pdf_bytes() -> bytes:
    return pdf_document("测试文件 Test file", [("", ["正文 body text"])])


def xlsx_bytes() -> bytes:
    return xlsx_workbook([Sheet("表", [Column("名称")], [["甲"]])])


def ooxml(main_type: str, folder: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types><Override PartName="/{folder}main.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr(f"{folder}main.xml", "<x/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def upload(name: str, content: bytes, declared: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=declared)


@pytest.fixture
def store(settings, tmp_path) -> Path:
    """A private, empty attachment storage for the test; returns its folder."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **django_settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    settings.TONGCHENG_ATTACHMENTS_ROOT = tmp_path / "fallback"
    return root


def error_block(response) -> str:
    """The error page's message (the rest of the page carries per-request tokens and the path)."""
    html = response.content.decode()
    start = html.find('data-testid="error-page"')
    return html[start : html.find("</div>", start)] if start >= 0 else ""


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_stored(root: Path) -> None:
    assert files_in(root) == []
    assert stored_keys() == []
    assert not Attachment.objects.exists()


@pytest.fixture
def org():
    return Organisation.objects.get(key=ORG)


@pytest.fixture
def small_use(monkeypatch):
    """A use with small limits on organisations, to reach each limit with small files."""
    use = uses.AttachmentUse(
        code="test.small",
        label="Small files",
        owner="core.Organisation",
        types=("pdf", "png", "csv", "txt"),
        max_bytes=1000,
        max_count=2,
    )
    monkeypatch.setitem(uses._USES, use.code, use)
    return use


# --- accepted, downloaded -------------------------------------------------------------------------------


def test_accepted_upload_is_downloaded_by_a_viewer_with_the_same_bytes(client_for, store, org):
    """Given office_pn, who may change the organisation, when it uploads a PDF on the organisation's
    documents page, then one row and one stored file exist, and auditor_pn (who sees the organisation)
    downloads exactly the same bytes (same SHA-256) as an attachment of type application/pdf, not sniffed,
    under the original file name."""
    content = pdf_bytes()
    response = client_for("office_pn").post(UPLOAD_URL, {"file": upload("章程 2024.pdf", content)})
    assert response.status_code == 302 and response["Location"] == PAGE_URL

    attachment = Attachment.objects.get()
    assert attachment.owner == org and attachment.use == "organisation.document"
    assert (attachment.filename, attachment.file_type, attachment.size) == (
        "章程 2024.pdf",
        "pdf",
        len(content),
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert (attachment.zone_id, attachment.organisation_id) == (org.zone_id, org.pk)  # anchors of the owner
    assert len(files_in(store)) == 1

    download = client_for("auditor_pn").get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body == content and hashlib.sha256(body).hexdigest() == attachment.sha256
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E7%AB%A0%E7%A8%8B%202024.pdf" in download["Content-Disposition"]


def test_the_type_is_the_detected_one_not_the_browsers(client_for, store):
    """Given a PNG image uploaded as "scan.pdf" with the header application/pdf, then it is stored as PNG,
    downloaded as image/png, and offered under a name that opens it as what it is."""
    client_for("office_pn").post(UPLOAD_URL, {"file": upload("scan.pdf", PNG, "application/pdf")})
    attachment = Attachment.objects.get()
    assert (attachment.file_type, attachment.media_type, attachment.filename) == (
        "png",
        "image/png",
        "scan.pdf.png",
    )
    response = client_for("office_pn").get(f"/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "image/png"


# --- who may download -----------------------------------------------------------------------------------


def test_another_zones_user_gets_the_answer_of_a_missing_attachment(client_for, store, org):
    """Given an organisation document of 浦口—南谯, when office_jb (江宁—博望, who does not see the
    organisation) asks for it, then the answer is 404, the same as for an id that does not exist."""
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    client = client_for("office_jb")
    invisible = client.get(f"/attachments/{attachment.pk}/")
    missing = client.get(f"/attachments/{attachment.pk + 1000}/")
    assert invisible.status_code == missing.status_code == 404
    assert error_block(invisible) == error_block(missing) != ""
    assert client.post(f"/attachments/{attachment.pk}/remove/").status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_anonymous_is_sent_to_sign_in(store, org):
    """Given a stored document, when nobody is signed in, then the download redirects to the sign-in page
    and sends no byte of the file."""
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    response = Client().get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert Client().get(UPLOAD_URL).status_code == 302


def test_attachments_are_visible_exactly_where_their_owner_is(demo_user, store, org):
    """The access rule of attachments follows the owner's: the office and the auditor of the zone see the
    document, the other zone's office does not; only the office may remove it."""
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    seen = {
        name: Attachment.objects.visible_to(demo_user(name)).filter(pk=attachment.pk).exists()
        for name in ("office_pn", "auditor_pn", "officer_pukou", "office_jb", "auditor_jb", "applicant_demo")
    }
    assert seen == {
        "office_pn": True,
        "auditor_pn": True,
        "officer_pukou": True,
        "office_jb": False,
        "auditor_jb": False,
        "applicant_demo": False,
    }
    removable = Attachment.objects.visible_to(demo_user("auditor_pn"), "remove").filter(pk=attachment.pk)
    assert not removable.exists()
    assert Attachment.objects.visible_to(demo_user("office_pn"), "remove").filter(pk=attachment.pk).exists()


# --- who may upload -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"), [("auditor_pn", 403), ("officer_pukou", 403), ("office_jb", 404)]
)
def test_upload_refused_to_those_who_may_not_change_with_nothing_stored(client_for, store, username, status):
    """Given users who see the organisation but may not change it (403) or do not see it (404), when they
    post a valid PDF, then they are refused and nothing is stored (no file, no row); the upload page itself
    answers the same."""
    client = client_for(username)
    assert client.post(UPLOAD_URL, {"file": upload("a.pdf", pdf_bytes())}).status_code == status
    assert client.get(UPLOAD_URL).status_code == status
    assert_nothing_stored(store)


def test_upload_without_the_csrf_token_is_refused(demo_user, store):
    """Given office_pn's browser session, when a form posted from elsewhere (no CSRF token) carries a file,
    then it is refused and nothing is stored."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_user("office_pn"))
    assert client.post(UPLOAD_URL, {"file": upload("a.pdf", pdf_bytes())}).status_code == 403
    assert_nothing_stored(store)


# --- refusals: type, size, empty, count -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "seems"),
    [
        ("report.pdf", ELF, "an executable program"),
        ("report.pdf", HTML, "a web page"),
        ("macro.docx", b"", "with macros"),
    ],
    ids=["elf", "html", "docx-with-macros"],
)
def test_refused_by_detected_type_with_nothing_stored(client_for, store, name, content, seems):
    """Given office_pn, when it uploads an executable, an HTML page or an Office file with macros, each
    named and declared as an accepted document, then the upload is refused with 415, the message says what
    the content is and which types are accepted, and nothing is stored."""
    if not content:
        content = ooxml(DOCX_MAIN, "word/", {"word/vbaProject.bin": b"\x00" * 64})
    with translation.override("en"):
        response = client_for("office_pn").post(
            UPLOAD_URL, {"file": upload(name, content)}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 415
    message = response.context["error"]
    assert seems in message and "PDF, DOCX, XLSX, PNG, JPEG" in message
    assert_nothing_stored(store)


@pytest.mark.parametrize("size", [5_000, 200_000], ids=["streamed-past-the-limit", "declared-too-large"])
def test_refused_by_size_with_nothing_stored(client_for, store, monkeypatch, size):
    """Given the organisation documents' limit lowered to 1 KB, when office_pn uploads a larger PDF (found
    while the body streams in, or from the declared length before it is read), then 413 names the limit
    and nothing is stored."""
    lowered = dataclasses.replace(uses.get_use("organisation.document"), max_bytes=1024)
    monkeypatch.setitem(uses._USES, lowered.code, lowered)
    content = pdf_bytes() + b"%" * size
    response = client_for("office_pn").post(UPLOAD_URL, {"file": upload("big.pdf", content)})
    assert response.status_code == 413
    assert "1.0" in response.context["error"]  # 1.0 KB, in the user's language
    assert_nothing_stored(store)


def test_service_refusals_name_the_limit_and_store_nothing(demo_user, store, org, small_use):
    """Given a use accepting PDF, PNG, CSV and TXT up to 1,000 bytes and two files per owner, then an empty
    file (400), a file of 1,001 bytes (413), an ELF binary (415) and a third file (409) are each refused
    with a message naming the limit, in English and in Chinese; only the two accepted files are stored."""
    office = demo_user("office_pn")

    def refusal(name: str, content: bytes) -> services.AttachmentRefused:
        with pytest.raises(services.AttachmentRefused) as caught:
            services.attach(actor=office, owner=org, use=small_use, uploaded_file=upload(name, content))
        return caught.value

    empty = refusal("empty.pdf", b"")
    assert (empty.status, empty.code, empty.field) == (400, "empty_file", "file")
    with translation.override("en"):
        too_large = refusal("big.txt", b"x" * 1001)
    assert (too_large.status, too_large.code) == (413, "file_too_large")
    assert "limit of 1000\xa0bytes" in str(too_large.message) and "big.txt" in str(too_large.message)
    with translation.override("zh-hans"):
        wrong = refusal("tool.pdf", ELF)
        assert wrong.status == 415 and "PDF, PNG, CSV, TXT" in str(wrong.message)
        assert "不是此处接受的文件类型" in str(wrong.message)
    assert_nothing_stored(store)

    for name in ("one.txt", "two.csv"):
        services.attach(
            actor=office, owner=org, use=small_use, uploaded_file=upload(name, "第一行,二\n".encode())
        )
    with translation.override("en"):
        over = refusal("three.txt", b"three")
    assert (over.status, over.code) == (409, "too_many_files") and "At most 2 files" in str(over.message)
    assert Attachment.objects.count() == 2 and len(files_in(store)) == 2
    assert sorted(Attachment.objects.values_list("file_type", flat=True)) == ["csv", "txt"]


def test_a_failure_after_storing_removes_the_file(demo_user, store, org, monkeypatch):
    """Given the audit entry cannot be written, when a valid file is attached, then the upload fails and
    neither the row nor the bytes remain."""

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        services.attach(
            actor=demo_user("office_pn"),
            owner=org,
            use="organisation.document",
            uploaded_file=upload("a.pdf", pdf_bytes()),
        )
    assert_nothing_stored(store)


def test_permission_is_checked_before_the_file_is_read(demo_user, store, org):
    """Given an auditor, when the service is called with a file, then it refuses (403) without reading a
    byte of it."""

    class Unreadable(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("the file was read before the permission check")

        def chunks(self, *args, **kwargs):
            raise AssertionError("the file was read before the permission check")

    with pytest.raises(services.ServiceError) as caught:
        services.attach(
            actor=demo_user("auditor_pn"),
            owner=org,
            use="organisation.document",
            uploaded_file=Unreadable("a.pdf", pdf_bytes()),
        )
    assert caught.value.status == 403
    assert_nothing_stored(store)


# --- storage key, no public URL -------------------------------------------------------------------------


def test_storage_key_is_random_and_not_the_name(demo_user, store, org):
    """Given the same file uploaded twice, then the two storage keys differ, carry neither the file name nor
    its extension nor its hash, hold at least 256 random bits, and appear on no page the user sees."""
    office = demo_user("office_pn")
    content = pdf_bytes()
    first, second = (
        services.attach(
            actor=office, owner=org, use="organisation.document", uploaded_file=upload("纪要.pdf", content)
        )
        for _ in range(2)
    )
    assert first.storage_key != second.storage_key
    for attachment in (first, second):
        key = attachment.storage_key
        token = key.rsplit("/", 1)[-1]
        assert len(token) >= 43  # secrets.token_urlsafe(32): 32 random bytes
        assert "纪要" not in key and ".pdf" not in key and attachment.sha256[:8] not in key
        assert attachment_storage().exists(key)
    client = Client()
    client.force_login(office)
    page = client.get(PAGE_URL).content.decode()
    assert f"/attachments/{first.pk}/" in page
    assert first.storage_key not in page and second.storage_key not in page


def test_attachments_are_never_served_from_a_public_url(client_for, store, org):
    """Given a stored document, then no URL of the site serves the media folder or the attachment folder:
    /media/<key> is not routed (404), the attachment storage lies outside MEDIA_ROOT, and the page links
    only to the checked download view."""
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    for path in (f"/media/{attachment.storage_key}", f"{django_settings.MEDIA_URL}{attachment.storage_key}"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert client_for("office_pn").get(path).status_code == 404
    location = Path(attachment_storage().location).resolve()
    assert Path(django_settings.MEDIA_ROOT).resolve() not in (location, *location.parents)
    default_location = Path(django_settings.TONGCHENG_ATTACHMENTS_ROOT).resolve()
    assert Path(django_settings.MEDIA_ROOT).resolve() not in (default_location, *default_location.parents)
    page = client_for("auditor_pn").get(PAGE_URL).content.decode()
    assert f'href="/attachments/{attachment.pk}/"' in page and "/media/" not in page


# --- the page section and removal -----------------------------------------------------------------------


def test_page_shows_the_list_to_viewers_and_the_form_to_editors(client_for, store, org):
    """Given a document on the organisation, then the organisation page lists it with a download link for
    the auditor (no upload form, no remove button) and adds the upload form and remove buttons for the
    office."""
    attachment = services.attach(
        actor=org_editor(),
        owner=org,
        use="organisation.document",
        uploaded_file=upload("纪要.pdf", pdf_bytes()),
    )
    auditor_page = client_for("auditor_pn").get(PAGE_URL).content.decode()
    assert "纪要.pdf" in auditor_page and 'data-testid="attachment-upload"' not in auditor_page
    assert f"/attachments/{attachment.pk}/remove/" not in auditor_page
    office_page = client_for("office_pn").get(PAGE_URL).content.decode()
    assert 'data-testid="attachment-upload"' in office_page and f'action="{UPLOAD_URL}"' in office_page
    assert f"/attachments/{attachment.pk}/remove/" in office_page


def test_removal_by_the_office_deletes_row_and_file_and_is_audited(
    client_for, demo_user, store, org, django_capture_on_commit_callbacks
):
    """Given a document, when the auditor tries to remove it then 403 and it stays; when office_pn removes
    it then the row goes, the file goes once the transaction commits, and the audit log — read by the
    zone's auditor through the anchors — holds the addition and the removal with the file's SHA-256."""
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    assert client_for("auditor_pn").post(f"/attachments/{attachment.pk}/remove/").status_code == 403
    assert len(files_in(store)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("office_pn").post(f"/attachments/{attachment.pk}/remove/", {"next": PAGE_URL})
    assert response.status_code == 302 and response["Location"] == PAGE_URL
    assert_nothing_stored(store)
    entries = AuditEntry.objects.visible_to(demo_user("auditor_pn")).filter(action__startswith="attachment.")
    assert sorted(entries.values_list("action", flat=True)) == ["attachment.add", "attachment.remove"]
    assert all(e.data["sha256"] == attachment.sha256 and e.organisation_id == org.pk for e in entries)
    assert (
        not AuditEntry.objects.visible_to(demo_user("auditor_jb"))
        .filter(action__startswith="attachment.")
        .exists()
    )


def test_removal_redirects_only_to_this_site(client_for, store, org, django_capture_on_commit_callbacks):
    attachment = services.attach(
        actor=org_editor(), owner=org, use="organisation.document", uploaded_file=upload("a.pdf", pdf_bytes())
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("office_pn").post(
            f"/attachments/{attachment.pk}/remove/", {"next": "https://evil.example/"}
        )
    assert response["Location"] == "/"


# --- detection and names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.bin", pdf_bytes(), "pdf"),
        ("a.bin", PNG, "png"),
        ("a.bin", b"\xff\xd8\xff\xe0" + bytes(100), "jpeg"),
        ("a.bin", xlsx_bytes(), "xlsx"),
        ("a.bin", ooxml(DOCX_MAIN, "word/"), "docx"),
        ("a.bin", ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/"), None),
        ("a.bin", b"PK\x03\x04" + bytes(50), None),
        ("a.csv", "名称,金额\n浦口,1\n".encode("gb18030"), "csv"),
        ("a.txt", "纪要\n".encode("utf-8-sig"), "txt"),
        ("a.csv", HTML, None),
        ("a.txt", b"abc\x00def", None),
        ("a.txt", ELF, None),
    ],
    ids=[
        "pdf",
        "png",
        "jpeg",
        "xlsx",
        "docx",
        "docm",
        "broken-zip",
        "gb18030-csv",
        "utf8-txt",
        "html",
        "nul",
        "elf",
    ],
)
def test_detection_from_content(name, content, code):
    assert detect(io.BytesIO(content), name).code == code


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\报告.PDF", "报告.pdf"),
        ('a<b>:"c|d?.pdf', "a_b___c_d_.pdf"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("", "file"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_clean_filename(given, expected):
    assert clean_filename(given) == expected


def org_editor():
    from tongcheng.core.models import User

    return User.objects.get(username="office_pn")
