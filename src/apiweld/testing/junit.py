"""JUnit XML for CI systems: one test suite per run, one test case per operation and check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from apiweld.testing.report import ContractReport, Failure, OperationReport

# Characters XML 1.0 cannot carry at all, even escaped; API responses can contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(tree: ET.Element) -> None:
    for element in tree.iter():
        if element.text:
            element.text = _NOT_XML.sub("\ufffd", element.text)
        for key, value in element.attrib.items():
            element.attrib[key] = _NOT_XML.sub("\ufffd", value)


def _failure_text(failure: Failure) -> str:
    exchange = failure.exchange
    lines = [
        failure.message,
        "",
        f"Case: {failure.case_label} ({failure.occurrences} response(s) failed this way)",
        f"Request: {exchange.method} {exchange.url}",
    ]
    if exchange.status is not None:
        lines.append(f"Response: {exchange.status}")
    if exchange.response_body:
        lines += ["", exchange.response_body[:2000]]
    lines += ["", "Reproduce: " + exchange.as_curl()]
    return "\n".join(lines)


def _operation_cases(suite: ET.Element, op: OperationReport) -> tuple[int, int, int, int]:
    tests = failures = errors = skipped = 0
    classname = op.operation_id
    seconds = f"{sum(op.latencies):.3f}"
    if op.skipped_reason is not None:
        case = ET.SubElement(suite, "testcase", name=op.label, classname=classname, time="0")
        ET.SubElement(case, "skipped", message=op.skipped_reason)
        return 1, 0, 0, 1
    for name, tally in op.checks.items():
        if tally.ran == 0:
            continue
        tests += 1
        case = ET.SubElement(
            suite, "testcase", name=f"{op.label} :: {name}", classname=classname, time=seconds
        )
        for failure in (f for f in op.failures if f.check == name):
            failures += 1
            node = ET.SubElement(case, "failure", message=failure.title, type=name)
            node.text = _failure_text(failure)
    if op.errors:
        tests += 1
        errors += 1
        case = ET.SubElement(
            suite, "testcase", name=f"{op.label} :: transport", classname=classname, time=seconds
        )
        node = ET.SubElement(case, "error", message=op.errors[0], type="transport")
        node.text = "\n".join(op.errors)
    return tests, failures, errors, skipped


def junit_xml(report: ContractReport) -> str:
    suites = ET.Element("testsuites", name="apiweld test")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{report.api_title} {report.api_version} @ {report.base_url}",
        timestamp=report.started_at,
        time=f"{report.duration:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="seed", value=str(report.seed))
    ET.SubElement(props, "property", name="base_url", value=report.base_url)
    totals = [0, 0, 0, 0]
    for op in report.operations:
        for index, value in enumerate(_operation_cases(suite, op)):
            totals[index] += value
    for element in (suite, suites):
        element.set("tests", str(totals[0]))
        element.set("failures", str(totals[1]))
        element.set("errors", str(totals[2]))
    suite.set("skipped", str(totals[3]))
    _xml_safe(suites)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(report: ContractReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")
