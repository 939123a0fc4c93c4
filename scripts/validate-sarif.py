#!/usr/bin/python3
"""Validates SARIF logs against the SARIF 2.1.0 JSON schema.

Usage: validate-sarif.py SCHEMA LOG...
Exit status 0 when every log is valid; 1 with each error (file, JSON path, message) otherwise;
2 when the validator itself is missing. Uses Debian's python3-jsonschema (scripts/setup.sh
installs it) with formats checked: 'uri' by jsonschema, 'uri-reference' (which Draft 4 does not
define, but the SARIF schema uses) with python3-rfc3987.
"""
import json
import sys

try:
    import jsonschema
    import rfc3987
except ImportError as e:
    print(f"validate-sarif: {e}; install python3-jsonschema and python3-rfc3987 (scripts/setup.sh does)",
          file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft4Validator.check_schema(schema)
    checker = jsonschema.FormatChecker()

    @checker.checks("uri-reference", raises=ValueError)
    def is_uri_reference(value):
        return not isinstance(value, str) or rfc3987.parse(value, rule="URI_reference") is not None

    # Without a 'uri' checker, URIs would pass unchecked: refuse to run rather than pass.
    if "uri" not in checker.checkers:
        print("validate-sarif: jsonschema cannot check the 'uri' format here", file=sys.stderr)
        return 2
    validator = jsonschema.Draft4Validator(schema, format_checker=checker)
    failed = False
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        for error in sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path)):
            failed = True
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: /{where}: {error.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
