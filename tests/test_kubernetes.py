"""deploy/kubernetes: the kustomization renders with `kubectl kustomize`, validates offline
against the Kubernetes schemas (kubernetes-validate, strict: no unknown field), and keeps its
promises: non-root, read-only root filesystem, no capabilities, probes on the right health
checks, one replica where the answers need it, no secret in a manifest, every setting provided.

Rendering needs `kubectl` (or `kustomize`): without it these tests skip, saying why, and fail
under REQUIRE_SERVICES=1 (CI), where it is installed.
"""

import base64
import re
import secrets
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from .conftest import run
from .services import skip_or_fail

VARIANTS = {
    "sqlite-locmem": {},
    "postgresql-redis": {"database": "postgresql", "cache": "redis"},
    "postgresql-locmem": {"database": "postgresql"},
    "sqlite-redis": {"cache": "redis"},
}
EVERY_VARIANT_KINDS = [
    "ConfigMap",
    "Deployment",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Secret",
    "Service",
]
ONE_REPLICA = {"sqlite-locmem", "postgresql-locmem", "sqlite-redis"}
# Oldest Kubernetes release still in wide use by managed clusters, and the newest schemas shipped.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Names of settings that hold a secret (TOKEN_TTL_HOURS does not).
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|API_KEY|DSN|TOKEN$")
# What the settings and gunicorn.conf.py read: env.str("NAME"...), os.environ.get("NAME"...),
# rate_from_env(env, "NAME"...).
READS = re.compile(r'(?:env\.\w+\(|os\.environ\.get\(|rate_from_env\(env,)\s*"([A-Z][A-Z0-9_]*)"')
# Left to gunicorn.conf.py, which derives them from REDIS_URL (one process without it).
DERIVED = {"WEB_CONCURRENCY", "GUNICORN_THREADS"}


def kustomize_command():
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return skip_or_fail("neither kubectl nor kustomize is installed")


def render(project):
    """The kustomization rendered as `kubectl apply -k` would send it, with secret.env made
    from secret.env.example as the README says."""
    folder = project / "deploy" / "kubernetes"
    shutil.copy(folder / "secret.env.example", folder / "secret.env")
    command = [*kustomize_command(), str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=list(VARIANTS))
def rendered(request, tmp_path_factory, template):
    from .conftest import generate

    project = generate(
        template, tmp_path_factory.mktemp(request.param), setup="skip", **VARIANTS[request.param]
    )
    return request.param, project, render(project)


def one(docs, kind):
    [doc] = [doc for doc in docs if doc["kind"] == kind]
    return doc


def env_file(path):
    """KEY=VALUE lines of an env file, comments and blank lines left out."""
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def pod_specs(docs):
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def test_every_resource_is_valid_for_kubernetes_strictly(rendered):
    _, _, docs = rendered

    for version in KUBERNETES_VERSIONS:
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)


def test_renders_the_resources_each_variant_needs(rendered):
    variant, _, docs = rendered
    kinds = sorted(doc["kind"] for doc in docs)

    extra = {
        "sqlite-locmem": ["PersistentVolumeClaim"],
        "sqlite-redis": ["PersistentVolumeClaim"],
        "postgresql-locmem": ["Job"],
        "postgresql-redis": ["HorizontalPodAutoscaler", "Job"],
    }[variant]
    assert kinds == sorted(EVERY_VARIANT_KINDS + extra)


def test_pods_run_non_root_read_only_without_capabilities(rendered):
    _, project, docs = rendered
    image_user = re.search(
        r"^USER (\d+):(\d+)$", (project / "Dockerfile").read_text(), re.MULTILINE
    )

    for name, pod in pod_specs(docs):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert (str(context["runAsUser"]), str(context["runAsGroup"])) == image_user.groups()
        assert pod["automountServiceAccountToken"] is False
        for container in pod.get("initContainers", []) + pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, container["name"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert {"/tmp", "/app/logs"} <= mounts  # gunicorn's heartbeat files
        for volume in pod["volumes"]:  # writable: scratch space, or the SQLite volume
            assert set(volume) - {"name"} in ({"emptyDir"}, {"persistentVolumeClaim"})


def test_probes_ask_the_right_health_checks_as_an_allowed_host(rendered):
    _, _, docs = rendered
    [api] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    allowed_hosts = one(docs, "ConfigMap")["data"]["DJANGO_ALLOWED_HOSTS"].split(",")

    paths = {probe: api[probe]["httpGet"]["path"] for probe in PROBES}
    assert paths == {
        "startupProbe": "/api/health/live/",
        "livenessProbe": "/api/health/live/",
        "readinessProbe": "/api/health/ready/",
    }
    for probe in PROBES:
        [host] = api[probe]["httpGet"]["httpHeaders"]
        assert host["name"] == "Host" and host["value"] in allowed_hosts


PROBES = ["startupProbe", "livenessProbe", "readinessProbe"]


def test_in_flight_requests_finish_within_the_termination_grace_period(rendered):
    _, _, docs = rendered
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    [api] = pod["containers"]
    pause = int(api["lifecycle"]["preStop"]["exec"]["command"][-1])
    graceful = int(one(docs, "ConfigMap")["data"]["GUNICORN_GRACEFUL_TIMEOUT"])

    assert pause + graceful < pod["terminationGracePeriodSeconds"]


def test_one_replica_exactly_where_sqlite_or_process_memory_counts(rendered):
    variant, _, docs = rendered
    deployment = one(docs, "Deployment")
    autoscalers = [doc for doc in docs if doc["kind"] == "HorizontalPodAutoscaler"]

    if variant in ONE_REPLICA:
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two at once
        assert autoscalers == []
    else:
        [autoscaler] = autoscalers
        assert "replicas" not in deployment["spec"]  # the autoscaler owns the count
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["minReplicas"] >= 2
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]


def test_service_budget_and_policy_select_the_api_pods_only(rendered):
    _, _, docs = rendered
    deployment = one(docs, "Deployment")
    api_labels = deployment["spec"]["template"]["metadata"]["labels"]
    job_labels = [
        doc["spec"]["template"]["metadata"]["labels"] for doc in docs if doc["kind"] == "Job"
    ]
    selectors = [
        one(docs, "Service")["spec"]["selector"],
        one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
        one(docs, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"],
        deployment["spec"]["selector"]["matchLabels"],
    ]

    for selector in selectors:
        assert selector.items() <= api_labels.items()
        assert "app.kubernetes.io/name" in selector  # not another project's pods
        for labels in job_labels:  # the migration Job's pod takes no traffic
            assert not selector.items() <= labels.items()


def test_pods_take_settings_from_the_config_map_and_the_secret_of_this_render(rendered):
    _, _, docs = rendered
    names = {one(docs, "ConfigMap")["metadata"]["name"], one(docs, "Secret")["metadata"]["name"]}

    for _, pod in pod_specs(docs):
        for container in pod.get("initContainers", []) + pod["containers"]:
            sources = [next(iter(source.items())) for source in container["envFrom"]]
            # The ConfigMap last: where a key is in both, its value wins over the Secret's.
            assert [kind for kind, _ in sources] == ["secretRef", "configMapRef"]
            assert {ref["name"] for _, ref in sources} == names


def test_every_setting_read_is_provided_by_the_config_map_or_the_secret(rendered):
    _, project, docs = rendered
    config_map = set(one(docs, "ConfigMap")["data"])
    secret = set(env_file(project / "deploy" / "kubernetes" / "secret.env.example"))
    read = set()
    for source in ("config/settings.py", "gunicorn.conf.py"):
        read |= set(READS.findall((project / source).read_text()))

    assert config_map & secret == set()
    assert {"DJANGO_SECRET_KEY", "THROTTLE_USER_RATE", "GUNICORN_BIND"} <= read  # the regex works
    assert read - DERIVED - config_map - secret == set()
    assert config_map | secret <= read  # nothing stale


def test_no_secret_in_any_manifest(rendered):
    variant, project, docs = rendered
    folder = project / "deploy" / "kubernetes"
    real_key = env_file(project / ".env")["DJANGO_SECRET_KEY"]
    config_map = one(docs, "ConfigMap")["data"]

    assert not [key for key in config_map if SECRET_NAMES.search(key)]
    assert not [value for value in config_map.values() if re.search(r"://[^/@]*:[^/@]*@", value)]
    committed = [path for path in folder.rglob("*") if path.is_file() and path.name != "secret.env"]
    for path in committed:
        assert real_key not in path.read_text(), path
        if path.name != "secret.env.example":
            assert "DJANGO_SECRET_KEY=" not in path.read_text(), path
    # The key, the admin's secret path, the error reporter's DSN, and the URLs of the services,
    # which hold passwords.
    secret_keys = {"DJANGO_SECRET_KEY", "DJANGO_ADMIN_URL", "SENTRY_DSN"}
    secret_keys |= {"DATABASE_URL"} if "postgresql" in variant else set()
    secret_keys |= {"REDIS_URL"} if "redis" in variant else set()
    assert set(env_file(folder / "secret.env.example")) == secret_keys
    for ignore_file in (".gitignore", ".dockerignore"):
        assert "deploy/kubernetes/secret.env" in (project / ignore_file).read_text().splitlines()


def test_the_pods_settings_pass_djangos_deployment_checks(rendered):
    """The ConfigMap and the Secret as the pods get them (a real key in place of the example's)
    make a production configuration: `check --deploy` has no warning."""
    _, project, docs = rendered
    secret = {
        key: base64.b64decode(value).decode() for key, value in one(docs, "Secret")["data"].items()
    }
    secret["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env = {**secret, **one(docs, "ConfigMap")["data"]}  # the ConfigMap wins, as in the pods

    run(project, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
