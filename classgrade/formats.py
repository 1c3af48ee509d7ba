"""A graded submission in the formats courses already use: Gradescope's results.json (which Otter-Grader writes
too: score, output, tests) and JUnit XML (GitHub Classroom, GitLab, Jenkins: a testsuite per student)."""
import xml.etree.ElementTree as ET

from engine.grade.words import check_name, module_name, status_label, status_word
from i18n import N_, domain

_, ngettext = domain("classgrade")
LABELS = {"detail": N_("detail"), "diagnosis": N_("diagnosis")}


def line(result):
    """"FAIL Linear: forward" and its detail and diagnosis, in the language in use (its ids: English)."""
    text = f"{status_label(result.status)} {module_name(result.module)}: {check_name(result.check)}"
    for label in ("detail", "diagnosis"):
        if getattr(result, label):
            text += "\n    " + _("{label}: {value}").format(label=_(LABELS[label]), value=getattr(result, label))
    return text


def gradescope(graded, rubric):
    """Gradescope's results.json: one test per module of the rubric and per extra module graded."""
    modules, tests = graded.modules(), []
    for kind in rubric.order(modules):
        if kind not in modules and kind not in rubric.modules:
            continue
        status, checks, failing = modules.get(kind, ("error", {}, []))
        module = rubric.module(kind)
        if kind not in modules:
            output = _("not graded: {why}").format(why=graded.error or _("the run stopped before it"))
        elif failing:
            output = "\n".join(line(r) for r in failing)
        else:
            output = ngettext("all {n} check passed", "all {n} checks passed", len(checks)).format(n=len(checks))
        name = module_name(kind) if kind in rubric.modules else _("{module} (extra)").format(module=module_name(kind))
        tests.append({"name": name, "number": str(len(tests) + 1),
                      "score": rubric.score(kind, status, checks), "max_score": module.points,
                      "status": "passed" if status in ("pass", "warn") else "failed",
                      "output": f"{status_word(status)}: {output}", "output_format": "text",
                      "visibility": module.visibility})
    summary = graded.report.summary() if graded.report is not None else _("the run did not finish")
    output = f"{summary}\n" + (_("ERROR: {error}").format(error=graded.error) + "\n" if graded.error else "") + \
        graded.sandbox_line()
    return {"score": sum(test["score"] for test in tests), "output": output, "tests": tests}


def junit_suite(graded):
    """<testsuite> of one student: a testcase per check; an error (the run did not finish) as a testcase too."""
    results = graded.report.results if graded.report is not None else []
    suite = ET.Element("testsuite", name=graded.student, time=f"{graded.elapsed:.3f}")
    failures = errors = skipped = 0
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"{graded.student}.{result.module}", name=result.check,
                             time="0")
        if result.status == "fail":
            failures += 1
            failure = ET.SubElement(case, "failure", message=(result.detail or check_name(result.check))[:500],
                                    type="fail")
            failure.text = line(result)
        elif result.status == "missing":
            skipped += 1
            ET.SubElement(case, "skipped", message=result.detail or status_word("missing"))
        elif result.status == "warn":
            ET.SubElement(case, "system-out").text = line(result)
    if graded.error:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=f"{graded.student}.run", name="the grading run finishes",
                             time=f"{graded.elapsed:.3f}")
        ET.SubElement(case, "error", message=graded.error[:500], type="error").text = graded.error
    ET.SubElement(suite, "system-out").text = graded.sandbox_line()
    suite.set("tests", str(len(results) + bool(graded.error)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return suite


def junit(graded_list):
    """JUnit XML text: <testsuites> holding one <testsuite> per student."""
    root = ET.Element("testsuites", name="backprop-lens grade-class")
    for graded in graded_list:
        root.append(junit_suite(graded))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
