"""Article mode: manifests inside shell blocks (echo, printf, heredocs of
every form, console transcripts), kubectl one-liners that make objects, and
the bad input of shell blocks, each with the article line it is on."""

from __future__ import annotations

import textwrap

import pytest

from harness.article import extract, shell
from harness.article.extract import Origin


def scan(md: str) -> extract.Extraction:
    return extract.scan(textwrap.dedent(md).lstrip("\n"))


def only(md: str) -> extract.Snippet:
    found = scan(md)
    (s,) = found.snippets
    assert s.error is None, s.error
    return s


NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"


# --------------------------------------------------------------------------
# heredocs
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opening",
    [
        "cat <<EOF | kubectl apply -f -",
        "cat <<'EOF' | kubectl apply -f -",
        'cat <<"EOF" | kubectl apply -f -',
        "cat << EOF | kubectl create -f-",
        "kubectl apply -f - <<EOF",
        "kubectl replace --filename=- <<'EOF'",
        "kubectl -n shop apply --server-side -f - <<EOF",
        "cat <<EOF | envsubst | kubectl apply -f /dev/stdin",
        "sudo kubectl apply -f - <<EOF",
    ],
)
def test_every_heredoc_form_feeds_its_manifest_with_article_lines(opening):
    md = f"# t\n\ntext\n\n```bash\n{opening}\n{NS.format('shop')}EOF\nkubectl get ns\n```\n"
    s = only(md)
    assert s.objects() == ["Namespace shop"]
    assert s.origin is Origin.HEREDOC
    assert s.line == 7 and s.doc_lines == [7]  # "apiVersion: v1" is line 7 of the page
    assert md.splitlines()[6] == "apiVersion: v1"
    assert s.command.startswith(("kubectl ", "sudo kubectl ")) and " -f" in s.command or "--filename" in s.command


def test_any_delimiter_and_dash_heredoc_strips_leading_tabs():
    s = only(
        "```sh\ncat <<-MANIFEST | kubectl apply -f -\n"
        "\tapiVersion: v1\n\tkind: Namespace\n\tmetadata:\n\t  name: x\n\tMANIFEST\n```"
    )
    assert s.docs == [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}]


def test_unquoted_heredoc_unescapes_and_keeps_expansions_quoted_keeps_everything():
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '\\$HOME'\n  b: '$GATEWAY_HOST'\n"
    unquoted = only(f"```bash\nkubectl apply -f - <<EOF\n{body}EOF\n```")
    assert unquoted.docs[0]["data"] == {"a": "$HOME", "b": "$GATEWAY_HOST"}
    quoted = only(f"```bash\nkubectl apply -f - <<'EOF'\n{body}EOF\n```")
    assert quoted.docs[0]["data"] == {"a": "\\$HOME", "b": "$GATEWAY_HOST"}


def test_a_multi_document_heredoc_gives_each_document_its_line():
    s = only(f"```shell\ncat <<EOF | kubectl apply -f -\n{NS.format('a')}---\n{NS.format('b')}EOF\n```")
    assert s.objects() == ["Namespace a", "Namespace b"]
    assert s.doc_lines == [3, 8]


def test_malformed_yaml_in_a_heredoc_names_the_article_line():
    (s,) = scan(
        "intro\n\n```bash\nkubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\nmetadata:\n  name: [x\nEOF\n```"
    ).snippets
    assert s.error is not None and s.error.startswith("malformed YAML at line 8:")


# --------------------------------------------------------------------------
# echo, printf, herestrings, prompts
# --------------------------------------------------------------------------


def test_echo_single_quotes_are_literal_and_the_yaml_starts_on_the_next_line():
    md = """\
    Rewrite:

    ```console
    $ echo '
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      annotations:
        nginx.ingress.kubernetes.io/rewrite-target: /$2
      name: rewrite
    spec:
      defaultBackend: {service: {name: s, port: {number: 80}}}
    ' | kubectl create -f -
    ```
    """
    s = only(md)
    assert s.origin is Origin.ECHO and s.line == 5 and s.doc_lines == [5]
    assert s.docs[0]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"


def test_echo_double_quotes_undo_backslash_escapes_and_note_expansions():
    md = (
        '```bash\necho "\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \\"c\\"\n'
        'data:\n  price: \\$5\n  host: $HOST\n" | kubectl apply -f -\n```'
    )
    s = only(md)
    assert s.origin is Origin.ECHO
    assert s.docs[0]["metadata"]["name"] == "c" and s.docs[0]["data"] == {"price": "$5", "host": "$HOST"}
    assert any("shell expansions" in n for n in s.notes)
    assert s.line == 3


def test_printf_and_herestring():
    p = only("```bash\nprintf 'apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: p\\n' | kubectl apply -f -\n```")
    assert (p.origin, p.objects()) == (Origin.PRINTF, ["Namespace p"])
    h = only("```bash\nkubectl apply -f - <<< 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: h'\n```")
    assert h.objects() == ["Namespace h"] and h.line == 2


def test_console_prompts_and_continuation_prompts_are_stripped_and_output_skipped():
    md = """\
    ```console
    $ cat <<EOF | kubectl apply -f -
    > apiVersion: v1
    > kind: Namespace
    > metadata:
    >   name: c
    > EOF
    namespace/c created
    $ kubectl get ns c
    NAME   STATUS   AGE
    c      Active   1s
    ```
    """
    s = only(md)
    assert s.objects() == ["Namespace c"] and s.line == 3


def test_continuation_prompts_inside_a_quote_are_stripped_too():
    s = only(
        "```console\n$ echo 'apiVersion: v1\n> kind: Namespace\n> metadata:\n>   name: q' | kubectl apply -f -\n```"
    )
    assert (s.objects(), s.doc_lines) == (["Namespace q"], [2])


def test_a_heredoc_written_to_a_file_and_applied_by_name():
    md = f"```bash\ncat > ns.yaml <<EOF\n{NS.format('f')}EOF\n```\n\nthen\n\n```bash\nkubectl apply -f ns.yaml\n```"
    s = only(md)
    assert (s.origin, s.objects(), s.line) == (Origin.FILE, ["Namespace f"], 3)
    assert s.command == "kubectl apply -f ns.yaml"


def test_an_untagged_fence_with_kubectl_is_shell_one_with_only_yaml_is_yaml():
    shell_block = only(f"```\necho '{NS.format('u')}' | kubectl apply -f -\n```")
    assert shell_block.origin is Origin.ECHO
    yaml_block = only(f"```\n{NS.format('y')}```")
    assert yaml_block.origin is Origin.FENCED


def test_stdin_from_nowhere_and_network_manifests_are_commands_not_checked():
    found = scan("```bash\nkubectl apply -f -\nkubectl apply -f https://example.com/x.yaml\nkubectl get pods\n```")
    assert not found.snippets
    assert [(c.line, c.command) for c in found.commands] == [
        (2, "kubectl apply -f -"),
        (3, "kubectl apply -f https://example.com/x.yaml"),
    ]
    assert "from the network" in found.commands[1].reason


# --------------------------------------------------------------------------
# kubectl one-liners
# --------------------------------------------------------------------------


def test_create_deployment_and_expose_it_as_a_load_balancer():
    md = """\
    ```shell
    kubectl create deployment web --image=gcr.io/google-samples/hello-app:1.0 --port=8080
    ```

    ```shell
    kubectl expose deployment web --type=LoadBalancer \\
        --port=80 --target-port=8080
    ```
    """
    dep, svc = scan(md).snippets
    assert (dep.origin, dep.line, dep.objects()) == (Origin.COMMAND, 2, ["Deployment web"])
    assert dep.docs[0]["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert dep.docs[0]["spec"]["template"]["spec"]["containers"] == [
        {"name": "hello-app", "image": "gcr.io/google-samples/hello-app:1.0", "ports": [{"containerPort": 8080}]}
    ]
    assert (svc.line, svc.objects()) == (6, ["Service web"])
    assert svc.docs[0]["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
        "type": "LoadBalancer",
    }


def test_expose_of_an_object_the_article_never_defines_is_not_checked():
    found = scan("```bash\nkubectl expose rc example --port=8765 --target-port=9376 --type=LoadBalancer\n```")
    assert not found.snippets
    (note,) = found.commands
    assert note.line == 2 and "the article does not define" in note.reason


def test_create_service_and_create_ingress():
    found = scan(
        "```bash\nkubectl create service loadbalancer lb --tcp=80:8080,443:8443\n"
        'kubectl create ingress shop --class=nginx --rule="shop.example.com/api*=api:80,tls=shop-tls" '
        "--rule=shop.example.com/=front:http\n```"
    )
    svc, ing = found.snippets
    assert svc.docs[0]["spec"]["ports"] == [
        {"name": "80-8080", "port": 80, "targetPort": 8080},
        {"name": "443-8443", "port": 443, "targetPort": 8443},
    ]
    assert svc.docs[0]["spec"]["type"] == "LoadBalancer" and svc.docs[0]["spec"]["selector"] == {"app": "lb"}
    spec = ing.docs[0]["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["rules"] == [
        {
            "host": "shop.example.com",
            "http": {
                "paths": [
                    {
                        "path": "/api",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "api", "port": {"number": 80}}},
                    },
                    {
                        "path": "/",
                        "pathType": "Exact",
                        "backend": {"service": {"name": "front", "port": {"name": "http"}}},
                    },
                ]
            },
        }
    ]
    assert spec["tls"] == [{"secretName": "shop-tls", "hosts": ["shop.example.com"]}]


def test_other_changing_commands_are_listed_not_checked():
    found = scan("```bash\nkubectl patch gateway eg --type=json --patch '\n  - op: add\n'\nkubectl delete ns x\n```")
    assert [(c.line, c.command.split()[1]) for c in found.commands] == [(2, "patch"), (5, "delete")]


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


def test_a_quote_that_does_not_close_is_reported_with_its_line_and_the_rest_goes_on():
    md = f"```bash\necho 'apiVersion: v1\nkind: X\n| kubectl apply -f -\n```\n\n```yaml\n{NS.format('after')}```"
    found = scan(md)
    assert [(p.line, p.message) for p in found.problems] == [
        (2, "shell: the single quote (') opened at line 2 does not close")
    ]
    assert [s.objects() for s in found.snippets] == [["Namespace after"]]


def test_a_heredoc_with_no_end_delimiter_is_reported_with_its_line():
    md = f"text\n```bash\ncat <<YAML | kubectl apply -f -\n{NS.format('x')}```\n\n```yaml\n{NS.format('after')}```"
    found = scan(md)
    assert [(p.line, p.message) for p in found.problems] == [
        (3, "shell: the heredoc opened at line 3 has no end delimiter YAML")
    ]
    assert [s.objects() for s in found.snippets] == [["Namespace after"]]


def test_an_article_with_no_yaml_says_so():
    found = scan("# Just prose\n\n```bash\nkubectl get pods\n```\n")
    assert not found.snippets
    assert [(p.line, p.message.split(":")[0]) for p in found.problems] == [(1, "no YAML in the article")]


def test_a_double_quote_that_does_not_close_and_odd_input_never_raise():
    for body in ['echo "abc', "cat <<", "kubectl apply -f", "$(", "echo $'abc", "a | | b", "\\", "<<<"]:
        extract.scan(f"```bash\n{body}\n```")  # no exception, whatever the input


def test_scanner_words_undo_quoting():
    pipelines, problems = shell.parse_block([("echo 'a b' \"c\\\"d\" e\\ f $'g\\th' # comment", 1)])
    assert not problems
    assert pipelines[0].commands[0].argv == ["echo", "a b", 'c"d', "e f", "g\th"]
