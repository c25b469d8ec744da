"""Datasette plugin loaded by ``hubscan browse`` (``--plugins-dir``): display only, the catalog is untouched.

* numbers: floats are shown rounded (4 significant digits, whole numbers above 10,000) instead of
  ``154.58643840933908``; the JSON and CSV exports keep the raw values;
* canned-query parameters that take one of a few values (``grouping``, ``verdict``) become drop-down
  choices; the choices come from the plugin configuration that ``hubscan.report.browse.metadata`` writes.
"""

from __future__ import annotations

import json

from datasette import hookimpl

PLUGIN = "hubscan"

CHOICE_SCRIPT = """
(function () {
  var choices = %s;
  Object.keys(choices).forEach(function (name) {
    document.querySelectorAll('input[type="text"][name="' + name + '"]').forEach(function (input) {
      var select = document.createElement("select");
      select.name = input.name;
      select.id = input.id;
      choices[name].forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value === "" ? "(default)" : value;
        option.selected = value === input.value;
        select.appendChild(option);
      });
      input.replaceWith(select);
    });
  });
})();
"""


def display_number(value: float) -> str:
    """A float as a person reads it: 154.6, 0.001235, 1,234,568."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


@hookimpl
def render_cell(value):
    if isinstance(value, float):
        return display_number(value)
    return None


@hookimpl
def extra_body_script(datasette):
    config = datasette.plugin_config(PLUGIN) or {}
    choices = config.get("choices")
    if not choices:
        return ""
    return CHOICE_SCRIPT % json.dumps(choices)
