"""Documents through the gateway, against moto's S3 server over HTTP, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import hashlib
import http.client
import io
import itertools
import os
import time
import tracemalloc
from datetime import timedelta

import pytest
import requests
from minio import Minio
from sqlalchemy import text

from services.chassis.object_store import ClienteS3
from services.documentos.settings import DocumentosSettings
from services.gateway.settings import GatewaySettings

ITUMBIARA, LUZIANIA = "5211503", "5212501"
SENHA = "senha-dos-documentos"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n"
    b"%%EOF\n"
)


@pytest.fixture(scope="module")
def org(platform, provision, create_user, bearer):
    provision(ITUMBIARA, "Itumbiara")
    provision(LUZIANIA, "Luziânia")
    create_user(ITUMBIARA, "adm_doc", SENHA, nome="Administradora", administrador=True)
    admin = bearer(ITUMBIARA, "adm_doc", SENHA)
    for sigla in ("SEMAD", "SMS"):
        call(platform, "POST", "/api/v1/unidades", admin, {"sigla": sigla, "nome": sigla})
    for login, sigla in (("rita", "SEMAD"), ("rui", "SEMAD"), ("sara", "SMS")):
        create_user(ITUMBIARA, login, SENHA, nome=login.title() + " Silva")
        answer = call(
            platform,
            "PUT",
            f"/api/v1/usuarios/{login}/permissoes/{sigla}",
            admin,
            {"perfil": "basico"},
        )
        assert answer.status_code == 200, answer.text
    create_user(LUZIANIA, "rita", SENHA, administrador=True)
    tokens = {login: bearer(ITUMBIARA, login, SENHA) for login in ("rita", "rui", "sara")}
    tokens["admin"] = admin
    tokens["luziania"] = bearer(LUZIANIA, "rita", SENHA)
    tipos_doc = call(platform, "GET", "/api/v1/tipos-documento", admin).json()
    tokens["externo"] = next(t["id"] for t in tipos_doc if t["aplicacao"] in ("externo", "ambos"))
    tokens["oficio"] = next(t for t in tipos_doc if t["nome"] == "Ofício")
    tipos = call(platform, "GET", "/api/v1/tipos-processo", admin).json()
    tokens["tipo_processo"] = next(
        t["id"] for t in tipos if t["nivel_acesso_sugerido"] == "publico"
    )
    return tokens


def call(platform, method, path, headers, body=None, **kwargs):
    return requests.request(
        method, f"{platform.url}{path}", headers=headers, json=body, timeout=120, **kwargs
    )


def processo(platform, org, quem="rita") -> str:
    answer = call(
        platform,
        "POST",
        "/api/v1/processos",
        org[quem],
        {"tipo_processo": org["tipo_processo"], "especificacao": "Com documentos"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def upload(platform, org, pid, data, nome="oficio.pdf", quem="rita", **campos):
    fields = {"tipo_documento": org["externo"], "nivel_acesso": "publico", **campos}
    return requests.post(
        f"{platform.url}/api/v1/processos/{pid}/documentos",
        headers=org[quem],
        data=fields,
        files={"arquivo": (nome, data, "application/octet-stream")},
        timeout=300,
    )


def refused(answer, status, code):
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code, answer.text


@pytest.fixture
def bucket(settings):
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=False,
    )
    return client


def objects(bucket, settings, ibge=ITUMBIARA) -> set[str]:
    return {
        o.object_name
        for o in bucket.list_objects(settings.s3_bucket, prefix=f"mun_{ibge}/", recursive=True)
    }


def rows(engine, sql: str) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def test_upload_download_round_trip_with_hash(platform, org, engine, bucket, settings):
    pid = processo(platform, org)
    answer = upload(platform, org, pid, PDF, numero="123/2026", remetente="Câmara Municipal")
    assert answer.status_code == 201, answer.text
    doc = answer.json()
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert doc["formato"] == "pdf" and doc["media_type"] == "application/pdf"
    assert doc["ordem"] == 1 and doc["remetente"] == "Câmara Municipal"
    got = call(platform, "GET", f"/api/v1/documentos/{doc['id']}/conteudo", org["rui"])
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["Content-Type"].startswith("application/pdf")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    url = call(platform, "GET", f"/api/v1/documentos/{doc['id']}/url", org["rui"]).json()
    assert requests.get(url["url"], timeout=30).content == PDF
    second = upload(platform, org, pid, b"Texto simples do segundo documento.\n", "nota.txt")
    assert second.status_code == 201 and second.json()["ordem"] == 2
    assert second.json()["numero"] > doc["numero"]
    listed = call(platform, "GET", f"/api/v1/processos/{pid}/documentos", org["sara"]).json()
    assert [d["ordem"] for d in listed] == [1, 2]


def test_any_bytes_survive_the_round_trip(platform, org):
    """Random bytes, CR and LF included, past the parser's buffer sizes (found by the bench)."""
    pid = processo(platform, org)
    data = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)
    answer = upload(platform, org, pid, data, "aleatorio.pdf")
    assert answer.status_code == 201, answer.text
    assert answer.json()["sha256"] == hashlib.sha256(data).hexdigest()
    got = call(platform, "GET", f"/api/v1/documentos/{answer.json()['id']}/conteudo", org["rita"])
    assert got.status_code == 200 and got.content == data


def etag(engine, bucket, settings, doc_id: str) -> str:
    sql = f"SELECT objeto_chave FROM mun_{ITUMBIARA}.documento WHERE id = '{doc_id}'"
    return bucket.stat_object(settings.s3_bucket, rows(engine, sql)[0][0]).etag


def test_a_file_declared_up_to_the_single_put_size_is_one_put_larger_ones_go_in_parts(
    platform, org, engine, bucket, settings
):
    """Past the part size (5 MiB here) a declared size up to SEMPAPEL_S3_SINGLE_PUT_BYTES
    is one PUT; S3 marks objects made of parts with "-<parts>" in their ETag."""
    assert settings.s3_part_bytes < 6 * 1024 * 1024 <= settings.s3_single_put_bytes
    pid = processo(platform, org)
    data = b"%PDF-1.7\n" + os.urandom(6 * 1024 * 1024)
    answer = upload(platform, org, pid, data, "seis.pdf")
    assert answer.status_code == 201, answer.text
    assert "-" not in etag(engine, bucket, settings, answer.json()["id"])
    got = call(platform, "GET", f"/api/v1/documentos/{answer.json()['id']}/conteudo", org["rita"])
    assert got.content == data


def test_a_200_mb_upload_keeps_memory_flat(platform, org, engine, bucket, settings):
    limites = {"max_bytes": 300 * 1024 * 1024, "formatos": ["pdf", "png", "jpeg", "txt"]}
    assert call(platform, "PUT", "/api/v1/documentos/configuracao", org["admin"], limites).ok
    pid = processo(platform, org)
    size = 200 * 1024 * 1024
    chunk = b"%PDF-1.7\n" + b"0" * (1024 * 1024 - 9)
    boundary = "limite-do-teste-de-memoria"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="tipo_documento"\r\n\r\n'
        f"{org['externo']}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="arquivo"; filename="grande.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    digest = hashlib.sha256()

    class Body:
        """A 200 MB body made on the fly, with a known length (so no chunked encoding)."""

        def __init__(self) -> None:
            self.parts = itertools.chain([head], self._file(), [tail])  # lazily
            self.len = len(head) + size + len(tail)
            self.pending = b""

        def _file(self):
            for n in range(size // len(chunk)):
                piece = chunk if n == 0 else b"1" * len(chunk)
                digest.update(piece)
                yield piece

        def read(self, n: int = -1) -> bytes:
            while n < 0 or len(self.pending) < n:
                part = next(self.parts, None)
                if part is None:
                    break
                self.pending += part
            out, self.pending = (
                (self.pending, b"") if n < 0 else (self.pending[:n], self.pending[n:])
            )
            return out

    tracemalloc.start()
    try:
        answer = requests.post(
            f"{platform.url}/api/v1/processos/{pid}/documentos",
            headers={
                **org["rita"],
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
            data=Body(),
            timeout=600,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 201, answer.text
    assert answer.json()["tamanho"] == size
    assert answer.json()["sha256"] == digest.hexdigest()
    # Gateway, documentos and the client all run in this process: a fraction of the file.
    assert peak < 64 * 1024 * 1024, f"peak traced memory {peak / 2**20:.0f} MiB"
    assert etag(engine, bucket, settings, answer.json()["id"]).endswith("-40")  # 5 MiB parts
    # Its extraction (refused: no %%EOF) ends here, not inside another test's SQL capture.
    assert texto_extraido(engine, answer.json()["id"], segundos=120)[0][0] == "falhou"


def test_oversize_and_disguised_files_leave_nothing_behind(platform, org, engine, bucket, settings):
    assert (
        call(
            platform,
            "PUT",
            "/api/v1/documentos/configuracao",
            org["admin"],
            {"max_bytes": 1024 * 1024, "formatos": ["pdf", "txt", "png"]},
        ).status_code
        == 200
    )
    try:
        pid = processo(platform, org)
        before_objects = objects(bucket, settings)
        big = upload(platform, org, pid, b"%PDF-1.4\n" + b"x" * (3 * 1024 * 1024))
        refused(big, 413, "arquivo_grande_demais")
        exe = upload(platform, org, pid, b"MZ\x90\x00" + b"\x00" * 4096, "relatorio.pdf")
        refused(exe, 415, "formato_nao_permitido")
        docx = upload(platform, org, pid, b"PK\x03\x04" + b"\x00" * 100, "a.docx")
        refused(docx, 415, "formato_nao_permitido")
        assert objects(bucket, settings) == before_objects
        docs = rows(engine, f"SELECT id FROM mun_{ITUMBIARA}.documento WHERE processo_id = '{pid}'")
        assert docs == []
        assert rows(engine, f"SELECT id FROM mun_{ITUMBIARA}.upload_pendente") == []
    finally:
        call(
            platform,
            "PUT",
            "/api/v1/documentos/configuracao",
            org["admin"],
            {"max_bytes": 100 * 1024 * 1024, "formatos": ["pdf", "png", "jpeg", "txt"]},
        )


def test_storage_down_answers_503_and_database_is_unchanged(platform, org, engine):
    pid = processo(platform, org)
    gateway = platform.containers["gateway"]
    provider = next(d for d in gateway.dependencies if type(d).__name__ == "ObjectStoreProvider")
    real = provider.store.client
    provider.store.client = ClienteS3("127.0.0.1:9", access_key="x", secret_key="y", secure=False)
    try:
        before = rows(engine, f"SELECT count(*) FROM mun_{ITUMBIARA}.documento")
        answer = upload(platform, org, pid, PDF)
        refused(answer, 503, "armazenamento_indisponivel")
        assert rows(engine, f"SELECT count(*) FROM mun_{ITUMBIARA}.documento") == before
        assert rows(engine, f"SELECT id FROM mun_{ITUMBIARA}.upload_pendente") == []
    finally:
        provider.store.client = real


def test_database_failure_after_the_object_leaves_no_visible_document(
    platform, org, engine, bucket, settings, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from services.chassis.object_store import ObjectStore
    from services.chassis.tenant_session import TenantEngines
    from services.documentos import repository
    from services.documentos.handlers import commands

    pid = processo(platform, org)
    before = objects(bucket, settings)

    def db_down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("servidor caiu"))

    monkeypatch.setattr(repository, "proximo", db_down)
    answer = upload(platform, org, pid, PDF)
    refused(answer, 503, "banco_indisponivel")
    monkeypatch.undo()
    listed = call(platform, "GET", f"/api/v1/processos/{pid}/documentos", org["rita"]).json()
    assert listed == []
    orphans = objects(bucket, settings) - before
    assert len(orphans) == 1  # stored, never recorded: the sweep's job
    removed = commands.varrer_abandonados(
        TenantEngines(engine), ObjectStore.from_settings(settings), timedelta(0)
    )
    assert removed >= 1
    assert objects(bucket, settings) - before == set()


def test_signing_editing_verifying(platform, org, engine):
    pid = processo(platform, org)
    oficio = org["oficio"]
    body = {
        "tipo_documento": oficio["id"],
        "conteudo": '<p>Senhor Secretário,</p><script>alert(1)</script><p onclick="x()">Ok</p>',
        "destinatarios": ["Secretaria de Saúde"],
    }
    created = call(
        platform, "POST", f"/api/v1/processos/{pid}/documentos/internos", org["rita"], body
    )
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["rotulo"].startswith("Ofício ") and doc["rotulo"].endswith(" - SEMAD")
    path = f"/api/v1/documentos/{doc['id']}"
    page = call(platform, "GET", f"{path}/conteudo", org["rita"])
    assert "<script" not in page.text and "onclick" not in page.text
    assert "Senhor Secretário" in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    edited = call(
        platform, "PUT", path, org["rui"], {"conteudo": "<p>Senhor Secretário, versão 2</p>"}
    )
    assert edited.status_code == 200 and edited.json()["versao"] == 2
    refused(
        call(platform, "PUT", path, org["sara"], {"conteudo": "<p>x</p>"}),
        403,
        "documento_de_outra_unidade",
    )

    wrong = call(
        platform, "POST", f"{path}/assinar", org["rita"], {"senha": "errada", "cargo": "Diretora"}
    )
    refused(wrong, 401, "senha_incorreta")
    assert (
        rows(
            engine, f"SELECT id FROM mun_{ITUMBIARA}.assinatura WHERE documento_id = '{doc['id']}'"
        )
        == []
    )

    signed = call(
        platform, "POST", f"{path}/assinar", org["rita"], {"senha": SENHA, "cargo": "Diretora"}
    )
    assert signed.status_code == 200, signed.text
    signed = signed.json()
    assert signed["situacao"] == "assinado" and signed["codigo_verificacao"] and signed["crc"]
    refused(
        call(platform, "PUT", path, org["rita"], {"conteudo": "<p>mudei</p>"}),
        409,
        "documento_assinado",
    )
    refused(
        call(
            platform, "POST", f"{path}/assinar", org["rita"], {"senha": SENHA, "cargo": "Diretora"}
        ),
        409,
        "ja_assinado",
    )
    second = call(
        platform, "POST", f"{path}/assinar", org["rui"], {"senha": SENHA, "cargo": "Secretário"}
    )
    assert second.status_code == 200 and len(second.json()["assinantes"]) == 2

    page = call(platform, "GET", f"{path}/conteudo", org["rita"]).text
    assert "Documento assinado eletronicamente por Rita Silva, Diretora" in page
    assert signed["codigo_verificacao"] in page and signed["crc"] in page

    params = {"municipio": ITUMBIARA, "codigo": signed["codigo_verificacao"], "crc": signed["crc"]}
    ok = requests.get(f"{platform.url}/api/v1/conferir", params=params, timeout=30)
    assert ok.status_code == 200, ok.text
    info = ok.json()
    assert info["autentico"] is True and info["rotulo"] == signed["rotulo"]
    assert [a["nome"] for a in info["assinantes"]] == ["Rita Silva", "Rui Silva"]
    assert "conteudo" not in info and "Senhor" not in ok.text
    altered_crc = {**params, "crc": "0" * 8 if params["crc"] != "0" * 8 else "1" * 8}
    refused(
        requests.get(f"{platform.url}/api/v1/conferir", params=altered_crc, timeout=30),
        404,
        "documento_nao_encontrado",
    )
    altered_code = {**params, "codigo": str((int(params["codigo"]) + 1) % 10**10).zfill(10)}
    refused(
        requests.get(f"{platform.url}/api/v1/conferir", params=altered_code, timeout=30),
        404,
        "documento_nao_encontrado",
    )
    other_city = {**params, "municipio": LUZIANIA}
    refused(
        requests.get(f"{platform.url}/api/v1/conferir", params=other_city, timeout=30),
        404,
        "documento_nao_encontrado",
    )

    cancelled = call(
        platform, "POST", f"{path}/cancelar", org["rita"], {"motivo": "Emitido com erro"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["situacao"] == "cancelado"
    refused(call(platform, "GET", f"{path}/conteudo", org["rita"]), 409, "documento_cancelado")
    after = requests.get(f"{platform.url}/api/v1/conferir", params=params, timeout=30).json()
    assert after["autentico"] is False and after["cancelado"] is True


def test_restricted_document_content_and_verification(platform, org):
    pid = processo(platform, org)
    hipotese = next(
        h["nome"]
        for h in call(platform, "GET", "/api/v1/hipoteses-legais", org["rita"]).json()
        if "restrito" in h["niveis"]
    )
    up = upload(platform, org, pid, PDF, nivel_acesso="restrito", hipotese_legal=hipotese)
    assert up.status_code == 201, up.text
    doc = up.json()
    # SMS never had the process: neither the document nor its content reach it.
    for sufixo in ("", "/conteudo", "/url"):
        refused(
            call(platform, "GET", f"/api/v1/documentos/{doc['id']}{sufixo}", org["sara"]),
            404,
            "documento_nao_encontrado",
        )
    signed = call(
        platform,
        "POST",
        f"/api/v1/documentos/{doc['id']}/assinar",
        org["rita"],
        {"senha": SENHA, "cargo": "Diretora"},
    ).json()
    params = {"municipio": ITUMBIARA, "codigo": signed["codigo_verificacao"], "crc": signed["crc"]}
    info = requests.get(f"{platform.url}/api/v1/conferir", params=params, timeout=30)
    assert info.status_code == 200 and info.json()["nivel_acesso"] == "restrito"
    assert PDF.decode("latin-1")[:20] not in info.text

    # The process follows its most restrictive document (through the documentos events).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        proc = call(platform, "GET", f"/api/v1/processos/{pid}", org["rita"]).json()
        if proc["nivel_efetivo"] == "restrito":
            break
        time.sleep(0.2)
    assert proc["nivel_efetivo"] == "restrito"
    refused(
        call(platform, "GET", f"/api/v1/processos/{pid}", org["sara"]),
        404,
        "processo_nao_encontrado",
    )
    refused(
        call(platform, "GET", f"/api/v1/processos/{pid}/documentos", org["sara"]),
        404,
        "processo_nao_encontrado",
    )
    historia = [
        a["tipo"]
        for a in call(platform, "GET", f"/api/v1/processos/{pid}/andamentos", org["rita"]).json()
    ]
    assert historia[:2] == ["gerado", "documento_incluido"] and "documento_assinado" in historia


def test_tampered_bytes_are_detected_on_read(platform, org, bucket, settings, engine):
    pid = processo(platform, org)
    doc = upload(platform, org, pid, PDF).json()
    chave = rows(
        engine, f"SELECT objeto_chave FROM mun_{ITUMBIARA}.documento WHERE id = '{doc['id']}'"
    )[0][0]
    forged = PDF.replace(b"200 200", b"300 300")
    bucket.put_object(settings.s3_bucket, chave, io.BytesIO(forged), len(forged))
    refused(
        call(platform, "GET", f"/api/v1/documentos/{doc['id']}/conteudo", org["rita"]),
        500,
        "conteudo_corrompido",
    )
    refused(
        call(platform, "GET", f"/api/v1/documentos/{doc['id']}/url", org["rita"]),
        500,
        "conteudo_corrompido",
    )
    # A file above SEMPAPEL_VERIFY_BEFORE_SEND_BYTES streams with its Content-Length and
    # its last chunk held back until the hash matches: one changed last byte, or one byte
    # more, and the body stops short of the length (a client never takes it as whole).
    assert GatewaySettings.from_env().verify_before_send_bytes < 2 * 1024 * 1024
    grande = b"%PDF-1.7\n" + os.urandom(2 * 1024 * 1024)
    for forged in (grande[:-1] + bytes([grande[-1] ^ 1]), grande + b"\n"):
        doc = upload(platform, org, pid, grande).json()
        chave = rows(
            engine, f"SELECT objeto_chave FROM mun_{ITUMBIARA}.documento WHERE id = '{doc['id']}'"
        )[0][0]
        bucket.put_object(settings.s3_bucket, chave, io.BytesIO(forged), len(forged))
        host, port = platform.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            conn.request("GET", f"/api/v1/documentos/{doc['id']}/conteudo", headers=org["rita"])
            answer = conn.getresponse()
            assert answer.getheader("Content-Length") == str(len(grande))
            with pytest.raises(http.client.IncompleteRead) as cut:
                answer.read()
            assert len(cut.value.partial) < len(grande)
        finally:
            conn.close()
    # Untouched, the same size arrives whole, with its length.
    doc = upload(platform, org, pid, grande).json()
    got = call(platform, "GET", f"/api/v1/documentos/{doc['id']}/conteudo", org["rita"])
    assert got.content == grande and got.headers["Content-Length"] == str(len(grande))


def test_another_municipality_never_reaches_a_document(platform, org):
    pid = processo(platform, org)
    doc = upload(platform, org, pid, PDF).json()
    other = org["luziania"]
    for sufixo in ("", "/conteudo", "/url"):
        refused(
            call(platform, "GET", f"/api/v1/documentos/{doc['id']}{sufixo}", other),
            404,
            "documento_nao_encontrado",
        )
    refused(
        call(
            platform,
            "POST",
            f"/api/v1/documentos/{doc['id']}/assinar",
            other,
            {"senha": SENHA, "cargo": "x"},
        ),
        404,
        "documento_nao_encontrado",
    )
    refused(upload(platform, org, pid, PDF, quem="luziania"), 404, "processo_nao_encontrado")


def test_concluded_process_receives_no_documents(platform, org):
    pid = processo(platform, org)
    assert (
        call(platform, "POST", f"/api/v1/processos/{pid}/concluir", org["rita"]).status_code == 204
    )
    refused(upload(platform, org, pid, PDF), 409, "processo_concluido")
    refused(upload(platform, org, pid, PDF, quem="sara"), 409, "processo_concluido")


def texto_extraido(engine, doc_id: str, segundos: float = 20) -> list:
    deadline, found = time.monotonic() + segundos, []
    while time.monotonic() < deadline and not found:
        found = rows(
            engine,
            f"SELECT situacao, texto, erro FROM mun_{ITUMBIARA}.doc_texto "
            f"WHERE documento_id = '{doc_id}'",
        )
        time.sleep(0.2)
    return found


def test_text_is_extracted_in_the_background(platform, org, engine):
    pid = processo(platform, org)
    doc = upload(
        platform, org, pid, "Licitação de merenda escolar, pregão 7/2026.".encode(), "edital.txt"
    ).json()
    found = texto_extraido(engine, doc["id"])
    assert found and found[0][0] == "extraido" and "pregão 7/2026" in found[0][1]

    # A redelivered event finds its id recorded with the text, in the one statement that
    # reads where the file is: no second extraction.
    from services.chassis.tenant import Tenant
    from services.chassis.tenant_session import TenantEngines
    from services.documentos.handlers.reads import para_extrair

    [(evento,)] = rows(
        engine,
        f"SELECT id FROM mun_{ITUMBIARA}.outbox_documentos "
        f"WHERE assunto = '{doc['id']}' AND tipo = 'documento.incluido'",
    )
    engines = TenantEngines(engine)
    assert rows(engine, f"SELECT 1 FROM mun_{ITUMBIARA}.recebido_documentos WHERE id = '{evento}'")
    assert para_extrair(engines.reading(Tenant(ITUMBIARA)), doc["id"], evento) is None
    novo = para_extrair(engines.reading(Tenant(ITUMBIARA)), doc["id"], "evento-novo")
    assert novo and novo["formato"] == "txt" and novo["chave"].startswith(f"mun_{ITUMBIARA}/")


def test_a_file_whose_text_cannot_be_read_is_stored_and_its_failure_recorded(platform, org, engine):
    pid = processo(platform, org)
    answer = upload(platform, org, pid, b"%PDF-1.4\n" + os.urandom(300_000), "quebrado.pdf")
    assert answer.status_code == 201, answer.text
    found = texto_extraido(engine, answer.json()["id"])
    assert found and found[0][0] == "falhou" and found[0][1] is None and found[0][2]
    # The next document is read by the same kind of child, unharmed.
    doc = upload(platform, org, pid, b"Depois do arquivo quebrado.", "nota.txt").json()
    assert texto_extraido(engine, doc["id"])[0][:2] == ("extraido", "Depois do arquivo quebrado.")


def test_permanent_documents_get_a_legal_hold_where_the_store_has_object_lock(
    platform, org, bucket, settings, engine
):
    plano = call(platform, "GET", "/api/v1/plano-classificacao", org["rita"]).json()
    permanente = next(i["codigo"] for i in plano["itens"] if i["destinacao"] == "guarda_permanente")
    answer = call(
        platform,
        "POST",
        "/api/v1/processos",
        org["rita"],
        {
            "tipo_processo": org["tipo_processo"],
            "especificacao": "Guarda permanente",
            "classificacao": permanente,
        },
    )
    assert answer.status_code == 201, answer.text
    doc = upload(platform, org, answer.json()["id"], PDF)
    assert doc.status_code == 201, doc.text
    assert doc.json()["guarda_permanente"] is True and doc.json()["retencao_legal"] is True
    chave = rows(
        engine,
        f"SELECT objeto_chave FROM mun_{ITUMBIARA}.documento WHERE id = '{doc.json()['id']}'",
    )[0][0]
    assert bucket.is_object_legal_hold_enabled(settings.s3_bucket, chave)
    eliminavel = next(i["codigo"] for i in plano["itens"] if i["destinacao"] == "eliminacao")
    outro = call(
        platform,
        "POST",
        "/api/v1/processos",
        org["rita"],
        {"tipo_processo": org["tipo_processo"], "especificacao": "x", "classificacao": eliminavel},
    ).json()
    common = upload(platform, org, outro["id"], PDF).json()
    assert common["guarda_permanente"] is False and common.get("retencao_legal") is None


def test_a_store_without_object_lock_is_detected_not_assumed(settings):
    from services.chassis.object_store import ObjectStore

    store = ObjectStore.from_settings(settings)
    store.bucket = "sem-trava-de-objeto"
    store.ensure_bucket(object_lock=False)
    assert store.supports_legal_hold() is False


def test_extraction_holds_at_most_its_own_workers_and_uploads_go_on_meanwhile(
    platform, org, engine, settings
):
    """SEMPAPEL_EXTRACAO_PROCESSOS events are extracted at once; with those stuck, uploads
    (whose RPCs share documentos' workers) are still answered."""
    import eventlet
    from eventlet.event import Event

    container = platform.containers["documentos"]
    provider = next(d for d in container.dependencies if type(d).__name__ == "ExtratoresProvider")
    solta, agora, maximo = Event(), [0], [0]
    real = provider.extratores.extrair

    def presa(formato: str, chave: str) -> str:
        agora[0] += 1
        maximo[0] = max(maximo[0], agora[0])
        try:
            solta.wait()
            return real(formato, chave)
        finally:
            agora[0] -= 1

    provider.extratores.extrair = presa
    try:
        pid = processo(platform, org)
        ids = []
        for n in range(DocumentosSettings.from_env().extracao_processos + 4):
            answer = upload(platform, org, pid, f"Documento {n}.".encode(), f"n{n}.txt")
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        eventlet.sleep(1)  # time for every event to reach documentos, were it let through
        assert maximo[0] == DocumentosSettings.from_env().extracao_processos
    finally:
        solta.send()
        provider.extratores.extrair = real
    for n, doc_id in enumerate(ids):
        assert texto_extraido(engine, doc_id)[0][:2] == ("extraido", f"Documento {n}.")
