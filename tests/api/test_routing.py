"""``DeclaredRoute``: the same app as FastAPI's own ``APIRoute`` gives, without the unused build.

One router of varied routes (path, query and body parameters, a router dependency, extra
responses, a ``Response`` return, an ``IntEnum`` status, a route-level dependency) is declared
twice, once with each route class; both apps must answer alike and publish the same OpenAPI
document, and the declared routes must never be built by either.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api_app.routing import DeclaredRoute


class Item(BaseModel):
    name: str
    size: int = 1


class Failure(BaseModel):
    message: str


def require_key(x_key: Annotated[str | None, Header()] = None) -> None:
    """Refuse a request without the ``X-Key`` header."""
    if x_key != "k":
        raise PermissionError


def make_router(route_class: type[APIRoute]) -> APIRouter:
    """The same routes, declared with ``route_class``."""
    router = APIRouter(
        prefix="/items",
        tags=["items"],
        dependencies=[Depends(require_key)],
        route_class=route_class,
    )

    @router.get("/{item_id}", responses={404: {"model": Failure, "description": "No such"}})
    async def get_item(
        item_id: Annotated[str, Path(max_length=8, pattern=r"^[a-z]+$")],
        verbose: Annotated[bool, Query()] = False,
    ) -> Item:
        """Return one item.

        Only this paragraph is shown.\fNot this one.
        """
        return Item(name=item_id, size=2 if verbose else 1)

    @router.post("", status_code=HTTPStatus.CREATED)
    def create_item(item: Item, limit: Annotated[int, Query(ge=1, le=5)] = 3) -> Item:
        """Create an item (a sync endpoint)."""
        return Item(name=item.name, size=min(item.size, limit))

    @router.delete("/{item_id}", status_code=204, dependencies=[Depends(require_key)])
    async def delete_item(item_id: str) -> Response:
        """Delete an item."""
        return Response(status_code=204)

    return router


def make_app(route_class: type[APIRoute]) -> tuple[FastAPI, APIRouter]:
    """An app including the router twice (two prefixes), as FastAPI allows."""
    app = FastAPI(title="t", version="1")
    router = make_router(route_class)
    app.include_router(router, prefix="/v1")
    app.include_router(router, prefix="/v2", tags=["v2"])

    @app.exception_handler(PermissionError)
    async def forbidden(request: object, exc: PermissionError) -> Response:
        return Response(status_code=403)

    return app, router


REQUESTS: list[tuple[str, str, dict[str, object]]] = [
    ("GET", "/v1/items/abc", {"headers": {"X-Key": "k"}}),
    ("GET", "/v2/items/abc", {"headers": {"X-Key": "k"}, "params": {"verbose": "true"}}),
    ("GET", "/v1/items/ABC", {"headers": {"X-Key": "k"}}),
    ("GET", "/v1/items/abc", {}),
    ("POST", "/v1/items", {"headers": {"X-Key": "k"}, "json": {"name": "n", "size": 9}}),
    ("POST", "/v2/items", {"headers": {"X-Key": "k"}, "json": {"size": 9}}),
    ("POST", "/v1/items", {"headers": {"X-Key": "k"}, "params": {"limit": 9}, "json": {}}),
    ("DELETE", "/v1/items/abc", {"headers": {"X-Key": "k"}}),
    ("PUT", "/v1/items/abc", {"headers": {"X-Key": "k"}}),
]


def test_declared_routes_serve_and_document_as_api_routes_and_are_never_built() -> None:
    plain_app, _ = make_app(APIRoute)
    declared_app, router = make_app(DeclaredRoute)
    assert all(isinstance(route, DeclaredRoute) for route in router.routes)
    assert not any(isinstance(route, DeclaredRoute) and route.built for route in router.routes)
    plain, declared = TestClient(plain_app), TestClient(declared_app)
    answers = []
    for method, url, options in REQUESTS:
        expected = plain.request(method, url, **options)  # type: ignore[arg-type]
        got = declared.request(method, url, **options)  # type: ignore[arg-type]
        assert (got.status_code, got.headers.get("allow"), got.content) == (
            expected.status_code,
            expected.headers.get("allow"),
            expected.content,
        ), url
        answers.append(got.status_code)
    assert answers == [200, 200, 422, 403, 201, 422, 422, 204, 405]
    item = declared.get("/v1/items/abc", headers={"X-Key": "k"}).json()
    assert item == {"name": "abc", "size": 1}
    document = declared.get("/openapi.json").json()
    assert document == plain.get("/openapi.json").json()
    operation = document["paths"]["/v2/items/{item_id}"]["get"]
    assert operation["description"] == "Return one item.\n\nOnly this paragraph is shown."
    assert operation["tags"] == ["v2", "items"]
    assert sorted(operation["responses"]) == ["200", "404", "422"]
    assert [isinstance(route, DeclaredRoute) and route.built for route in router.routes] == [
        False,
        False,
        False,
    ]


def test_a_declared_route_builds_as_an_api_route_when_read_directly() -> None:
    _, plain_router = make_app(APIRoute)
    _, router = make_app(DeclaredRoute)
    for plain, route in zip(plain_router.routes, router.routes, strict=True):
        assert isinstance(route, DeclaredRoute)
        assert isinstance(plain, APIRoute)
        assert not route.built
        assert route.unique_id == plain.unique_id  # not declared: builds the route
        assert route.built
        assert [param.name for param in route.dependant.query_params] == [
            param.name for param in plain.dependant.query_params
        ]
        assert (route.name, route.description, route.status_code, route.methods) == (
            plain.name,
            plain.description,
            plain.status_code,
            plain.methods,
        )
        assert route.response_model is plain.response_model
        assert sorted(route.response_fields) == sorted(plain.response_fields)


def test_a_declared_route_used_as_an_app_route_serves() -> None:
    app = FastAPI()
    app.router.route_class = DeclaredRoute

    @app.get("/ping")
    async def ping(n: int = 1) -> dict[str, int]:
        return {"n": n}

    client = TestClient(app)
    assert client.get("/ping", params={"n": 3}).json() == {"n": 3}
    assert client.get("/ping", params={"n": "x"}).status_code == 422
    route = next(route for route in app.router.routes if isinstance(route, DeclaredRoute))
    assert route.built  # served directly by the app: built on first use, as FastAPI needs


def test_a_route_with_form_limits_is_built_at_once() -> None:
    async def upload(name: str) -> dict[str, str]:
        return {"name": name}

    route = DeclaredRoute("/upload", upload, methods=["POST"], form_limits={"max_fields": 3})
    assert route.built
    assert route.form_limits == {"max_fields": 3}
    with pytest.raises(AttributeError):
        route.no_such_attribute  # noqa: B018
