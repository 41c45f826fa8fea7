"""Turn the rendered files into a running, tested API: hand over to the project's bootstrap script.

The steps (write_env_file, set_up_environment, migrate, create_api_users,
export_postman_collection, run_test_suite, print_next_steps) live in the generated
`scripts/bootstrap.py`, a plain script the user can run again with the command it prints: it keeps
what is done and completes the rest. This hook only turns the answers into that command and runs
it.

Exit status: always 0 once the files are rendered. A failed step (offline, PostgreSQL down, a
failing test) is reported by the script in one line with the command that finishes the setup;
exiting non-zero here would make cookiecutter delete the whole project.

Under cruft (`cruft create`, and `cruft update`, which renders the template in temporary folders
to compute a diff) the answers carry no `_output_dir`: then nothing is written or installed, and
one line names the command that sets the project up.
"""

import json
import os
import shlex
import subprocess
import sys

# Answers are read once, as JSON: quotes, backslashes and newlines in an answer can neither break
# this file nor inject code into it.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# This rendered copy holds every answer; cookiecutter leaves it in its temp folder otherwise.
os.remove(__file__)

YES = {"yes", "y", "true"}


def rendered_by_cookiecutter():
    """False under cruft, which calls cookiecutter's generate_files() without `_output_dir`."""
    return "_output_dir" in ANSWERS


def bootstrap_command(setup):
    """The `scripts/bootstrap.py` command line for these answers."""
    command = [sys.executable, "scripts/bootstrap.py", "--setup", setup]
    users = [name.strip() for name in ANSWERS["api_users"].split(",") if name.strip()]
    if users:
        command += ["--users", ",".join(users)]
    if ANSWERS["run_tests"].lower() in YES:
        command.append("--run-tests")
    if ANSWERS["ngrok_host"]:
        command += ["--ngrok-host", ANSWERS["ngrok_host"]]
    return command


def main():
    if not rendered_by_cookiecutter():
        command = ["python3", *bootstrap_command("venv")[1:]]
        print(f"Rendered by cruft; to set the project up, in it: {shlex.join(command)}")
        return
    try:
        subprocess.run(bootstrap_command(ANSWERS["setup"]), check=False)
    except KeyboardInterrupt:
        pass  # the script has printed the step it stopped in and the command that finishes it
    except OSError as error:
        print(f"FAILED bootstrap: cannot run scripts/bootstrap.py: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
