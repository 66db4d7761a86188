#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='the first run: scripts/demo.sh installs what its last lines tell you to run, and what it makes is not tracked by git'
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'the demo installs its packages with --demo, which holds the build and sqlite3' '
	grep -E "install-deps.sh\"? --demo" "$BF_SRC/scripts/demo.sh" &&
	bash "$BF_SRC/scripts/install-deps.sh" --demo --list >demo.pkgs &&
	bash "$BF_SRC/scripts/install-deps.sh" --build --list >build.pkgs &&
	grep -x sqlite3 demo.pkgs &&
	test "$(grep -cvxFf demo.pkgs build.pkgs)" = 0
'

test_expect_success 'every command the demo tells you to run at the end is installed by it' '
	sed -n "s/^echo \"[A-Z][A-Za-z ]*: *\([a-z0-9-]*\) .*/\1/p" "$BF_SRC/scripts/demo.sh" | sort -u >told &&
	test -s told &&
	while read -r cmd; do
		grep -qx "$cmd" demo.pkgs || { echo "demo tells to run $cmd, which --demo does not install"; return 1; }
	done <told
'

test_lazy_prereq GITREPO 'git -C "$BF_SRC" rev-parse --git-dir'

test_expect_success GITREPO 'the demo folder is ignored by git' '
	git -C "$BF_SRC" check-ignore -q demo/warehouse.db &&
	git -C "$BF_SRC" check-ignore -q demo/drop/manifest.json
'

test_done
