"""Read a translated CloudFormation template: parameters, conditions, intrinsics, IAM, graph.

Intrinsics are resolved symbolically for the default parameter values: a parameter becomes
its default, a resource reference becomes ``<ref:Id>`` / ``<getatt:Id.Attr>``, pseudo
parameters become fixed sample values, ``Fn::If`` follows the evaluated condition and
``AWS::NoValue`` removes the item. That is enough to ask "which value does this setting get
on a default deploy, and where does it come from?" without AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-northeast-2",
    "AWS::Partition": "aws",
    "AWS::StackName": "callback-scheduler-dev",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()
SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class Resolver:
    """Resolve intrinsics of one template for the given parameter values (defaults if omitted)."""

    def __init__(self, cfn: dict[str, Any], overrides: dict[str, str] | None = None) -> None:
        self.cfn = cfn
        self.params = {
            name: str(spec.get("Default", "")) for name, spec in cfn.get("Parameters", {}).items()
        }
        self.params.update(overrides or {})

    def ref(self, name: str) -> Any:
        """Value of ``Ref: name``."""
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            kind = self.cfn.get("Parameters", {}).get(name, {}).get("Type")
            if kind == "CommaDelimitedList":
                return self.params[name].split(",")
            return self.params[name]
        return f"<ref:{name}>"

    def condition(self, name: str) -> bool:
        """Evaluate the named condition."""
        return self.truth(self.cfn["Conditions"][name])

    def truth(self, expr: Any) -> bool:
        """Evaluate a condition expression."""
        (fn, args), *_ = expr.items()
        if fn == "Condition":
            return self.condition(args)
        if fn == "Fn::Equals":
            return bool(self.value(args[0]) == self.value(args[1]))
        if fn == "Fn::Not":
            return not self.truth(args[0])
        if fn == "Fn::And":
            return all(self.truth(a) for a in args)
        if fn == "Fn::Or":
            return any(self.truth(a) for a in args)
        if fn == "Fn::Contains":  # Rules: is the string one of the list's items?
            return bool(self.value(args[1]) in self.value(args[0]))
        if fn == "Fn::EachMemberEquals":
            return all(item == self.value(args[1]) for item in self.value(args[0]))
        raise ValueError(f"unsupported condition function {fn}")

    def value(self, node: Any) -> Any:
        """Resolve ``node`` (any JSON value) to plain data."""
        if isinstance(node, list):
            items = [self.value(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), *_ = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                target, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return f"<getatt:{target}.{attr}>"
            if key == "Fn::If":
                name, then, otherwise = arg
                return self.value(then if self.condition(name) else otherwise)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::FindInMap":
                table, first, second = (self.value(a) for a in arg)
                return self.cfn["Mappings"][table][first][second]
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.value(arg[1]))
        resolved = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def sub(self, arg: Any) -> str:
        """Resolve ``Fn::Sub`` (string form, or [string, variables])."""
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.value(variables[name]))
            if "." in name:
                return str(self.value({"Fn::GetAtt": name.split(".", 1)}))
            return str(self.ref(name))

        return SUB_VAR.sub(one, text)

    def environment(self, logical_id: str) -> dict[str, str]:
        """The resolved environment variables of a Lambda function."""
        props = self.cfn["Resources"][logical_id]["Properties"]
        variables = self.value(props.get("Environment", {}).get("Variables", {}))
        return {name: str(v) for name, v in variables.items()}


def resources_of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one CloudFormation type, by logical id."""
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    """A policy field (one item or a list) as a list."""
    return value if isinstance(value, list) else [value]


def branches(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """A statement, or both branches of a conditional (``Fn::If``) one, minus ``NoValue``."""
    if set(statement) != {"Fn::If"}:
        return [statement]
    _, then, otherwise = statement["Fn::If"]
    return [s for s in (then, otherwise) if isinstance(s, dict) and s.get("Ref") != "AWS::NoValue"]


def role_statements(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every inline policy of every role, with the role's logical id.

    A conditional statement is yielded as present (the least-privilege checks see it).
    """
    for role_id, role in resources_of_type(cfn, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in as_list(policy["PolicyDocument"]["Statement"]):
                for branch in branches(statement):
                    yield role_id, branch
    for policy_id, policy in resources_of_type(cfn, "AWS::IAM::Policy").items():
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            for branch in branches(statement):
                yield policy_id, branch


def references(node: Any) -> set[str]:
    """Logical ids (and parameters) that ``node`` references through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, arg in node.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found |= {name.split(".", 1)[0] for name in SUB_VAR.findall(text)}
                if not isinstance(arg, str):
                    found |= references(arg[1])
            else:
                found |= references(arg)
    return found


def dependency_graph(cfn: dict[str, Any]) -> dict[str, set[str]]:
    """Resource -> the resources it depends on (references and DependsOn)."""
    resources = cfn["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        deps = references(resource.get("Properties", {}))
        deps |= set(as_list(resource.get("DependsOn", [])))
        graph[logical_id] = {d for d in deps if d in resources}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle as a list of ids, or ``None`` when the graph is acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None
