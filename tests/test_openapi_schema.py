"""The OpenAPI document tells the truth about every response.

django-ninja files each schema under its class name and silently keeps the
last one registered, so two schemas of the same name make the document lie
about one of them (the task assignments' evidence was published as the
ledger's evidence, with a `kind` it never had)."""

from __future__ import annotations

from jsonschema_rs import Draft202012Validator  # what schemathesis validates with
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema

from shiji.api import api
from tests.conftest import SYSTEM
from tests.samples import image_bytes


def _operations():
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield f"{prefix}{path}", operation


def test_every_schema_published_under_a_name_is_the_one_each_operation_uses():
    components = api.get_openapi_schema()["components"]["schemas"]
    wrong = []
    for path, operation in _operations():
        # As ninja builds them: responses with the operation's by_alias,
        # request parameters by alias.
        models = [
            (m, "serialization", operation.by_alias) for m in operation.response_models.values()
        ]
        models += [(m, "validation", True) for m in operation.models]
        for model, mode, by_alias in models:
            if not hasattr(model, "model_json_schema"):
                continue  # no body (None / NOT_SET)
            schema = model.model_json_schema(
                ref_template=REF_TEMPLATE,
                by_alias=by_alias,
                schema_generator=NinjaGenerateJsonSchema,
                mode=mode,
            )
            for name, definition in schema.get("$defs", {}).items():
                if components.get(name) != definition:
                    wrong.append(f"{operation.methods} {path}: {name}")
    assert wrong == []


def _validate(response, path: str, method: str) -> None:
    document = api.get_openapi_schema()
    declared = document["paths"][path][method]["responses"][response.status_code]
    schema = declared["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": document["components"]}).validate(response.json())


def test_task_assignments_with_evidence_match_the_published_schema(world, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shiji.campaigns.models import WorkArrangement
    from shiji.campaigns.services import (
        assignment_transition,
        campaign_load,
        task_create,
        zone_adopt_campaign,
    )

    campaign = campaign_load(actor=SYSTEM, path="zhengjiguan-2026").campaign
    zone_adopt_campaign(actor=SYSTEM, zone=world.a.zone, campaign=campaign)
    task = task_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        campaign=campaign,
        arrangement=WorkArrangement.objects.get(campaign=campaign, code="study"),
        title="召开专题学习会",
        sectors=["organ"],
    )
    assignment = task.assignments.get(org=world.a.dept)
    photo = SimpleUploadedFile("会议现场.jpg", image_bytes("jpeg", "meeting"))
    assignment_transition(
        actor=world["secretary"], assignment=assignment, action="report", note="已召开",
        files=[photo],
    )  # fmt: skip

    response = api(world["zone_admin"]).get(f"/api/v1/tasks/{task.pk}/assignments")

    assert response.status_code == 200
    reported = next(a for a in response.json() if a["id"] == assignment.pk)
    assert reported["evidence"][0]["name"] == "会议现场.jpg"
    assert reported["evidence"][0]["kind"] == "jpeg"
    _validate(response, "/api/v1/tasks/{task_id}/assignments", "get")
