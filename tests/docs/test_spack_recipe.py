#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks packaging/spack/packages/maestro/package.py without Spack: it parses, declares the
CUDA, Ceph and tests variants, passes each variant to a CMake option that the project really
has, and depends on every library that cmake/MaestroDependencies.cmake requires.
Usage: test_spack_recipe.py <source dir>"""
import ast
import re
import sys

top = sys.argv[1]
recipe_path = f"{top}/packaging/spack/packages/maestro/package.py"
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


src = open(recipe_path, encoding="utf-8").read()
tree = ast.parse(src, filename=recipe_path)

classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
pkg = next((c for c in classes if c.name == "Maestro"), None)
if pkg is None:
    print("FAIL: no class Maestro in the recipe")
    sys.exit(1)
bases = [b.id for b in pkg.bases if isinstance(b, ast.Name)]
if "CMakePackage" not in bases:
    fail(f"class Maestro derives from {bases}, not CMakePackage")


def calls(node, name):
    """Top-level calls `name(...)` in the class body, as lists of constant arguments."""
    out = []
    for stmt in node.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            f = stmt.value.func
            if isinstance(f, ast.Name) and f.id == name:
                args = [a.value for a in stmt.value.args if isinstance(a, ast.Constant)]
                kw = {k.arg: (k.value.value if isinstance(k.value, ast.Constant) else None)
                      for k in stmt.value.keywords}
                out.append((args, kw))
    return out


variants = {a[0] for a, _ in calls(pkg, "variant")}
for v in ("cuda", "ceph", "tests"):
    if v not in variants:
        fail(f"variant '{v}' is not declared")
for a, kw in calls(pkg, "variant"):
    if not kw.get("description"):
        fail(f"variant '{a[0]}' has no description")

deps = {a[0].split("@")[0]: kw.get("when") for a, kw in calls(pkg, "depends_on")}
licence = calls(pkg, "license")
if not licence or licence[0][0][0] != "BSD-3-Clause":
    fail("license('BSD-3-Clause') missing")
with open(f"{top}/LICENSE", encoding="utf-8") as f:
    if "BSD 3-Clause" not in f.readline():
        fail("LICENSE is not the BSD 3-Clause licence the recipe declares")

# Every library the build requires is a dependency (pkg-config module -> Spack package).
spack_name = {"hwloc": "hwloc", "libfabric": "libfabric", "yaml-0.1": "libyaml",
              "libprotobuf-c": "protobuf-c", "cmocka": "cmocka"}
deps_cmake = open(f"{top}/cmake/MaestroDependencies.cmake", encoding="utf-8").read()
for module in re.findall(r"mstro_require_pkg\(\s*\w+\s+(\S+)", deps_cmake):
    want = spack_name.get(module)
    if want is None:
        fail(f"the build requires pkg-config module '{module}': map it to a Spack package here")
    elif want not in deps:
        fail(f"the build requires '{module}' but the recipe does not depend on '{want}'")
if "find_library(NUMA_LIBRARY" in deps_cmake and "numactl" not in deps:
    fail("the build requires libnuma but the recipe does not depend on numactl")
if deps.get("cuda") != "+cuda":
    fail("cuda must be a dependency when +cuda")
if deps.get("ceph") != "+ceph":
    fail("ceph must be a dependency when +ceph")

# cmake_args: each option it sets exists in the project, and each variant reaches one.
method = next((n for n in pkg.body if isinstance(n, ast.FunctionDef) and n.name == "cmake_args"),
              None)
if method is None:
    fail("no cmake_args()")
else:
    msrc = ast.get_source_segment(src, method)
    options = set(re.findall(r'define(?:_from_variant)?\(\s*"([A-Z0-9_]+)"', msrc))
    cmake_text = open(f"{top}/CMakeLists.txt", encoding="utf-8").read()
    declared = set(re.findall(r"option\((\w+)", cmake_text)) | set(
        re.findall(r"set\((\w+)\s+\S+\s+CACHE", cmake_text))
    for o in sorted(options):
        if o not in declared:
            fail(f"cmake_args sets {o}, which CMakeLists.txt does not declare")
    for v in variants:
        if f'"{v}"' not in msrc and f"+{v}" not in msrc:
            fail(f"variant '{v}' does not reach cmake_args")
    for o in ("MSTRO_ENABLE_CUDA", "MSTRO_ENABLE_MIO", "MSTRO_BUILD_TESTS"):
        if o not in options:
            fail(f"cmake_args does not set {o}")

if failures:
    print(f"{len(failures)} problem(s) in the Spack recipe")
    sys.exit(1)
print(f"PASS: Spack recipe parses; variants {sorted(variants)}; {len(deps)} dependencies")
