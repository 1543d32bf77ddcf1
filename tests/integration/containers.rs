//! The role inside containers (issue 44), against real Docker: a dockerd of this test's own
//! (its data, sockets and network removed at the end), images made here (an empty root
//! filesystem by `docker import`; the clients, boto3, the AWS CLI and the JS SDK v3, come
//! from this machine through read-only bind mounts). One test: a second daemon would fight
//! the first for the network's address.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::util::{Fixture, SEED_CONFIG, SEED_CREDENTIALS, require, swrole_path};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A Docker daemon for this test: no default bridge and no iptables rules (the containers
/// only talk to this machine at the gateway of swrole's network).
struct Daemon {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Option<Daemon> {
        if !["dockerd", "docker", "tar"].iter().all(|t| require(t)) {
            return None;
        }
        // Short paths: the daemon's sockets live under them.
        let dir = tempfile::Builder::new().prefix("swdk").tempdir_in("/tmp").unwrap();
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(dir.path().join("data"))
            .arg("--exec-root")
            .arg(dir.path().join("x"))
            .arg("--pidfile")
            .arg(dir.path().join("pid"))
            .arg("-H")
            .arg(format!("unix://{}", dir.path().join("sock").display()))
            .args(["--bridge=none", "--iptables=false"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
            .spawn()
            .unwrap();
        let d = Daemon { child, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !d.docker(&["info", "--format", "{{.ServerVersion}}"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "dockerd did not start: {}",
                std::fs::read_to_string(d.dir.path().join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(d)
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("sock").display())
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker").args(args).env("DOCKER_HOST", self.host()).output().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // The network's bridge (and its address) goes with the network, not with the daemon.
        for id in text(&self.docker(&["ps", "-aq"]).stdout).lines() {
            self.docker(&["rm", "-f", id]);
        }
        self.docker(&["network", "rm", "swrole"]);
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay from `listen` to `to`: moto on loopback, reachable from the containers at the
/// network's gateway.
fn relay(listen: &str, to: String) -> u16 {
    let listener = std::net::TcpListener::bind(listen).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for inbound in listener.incoming().flatten() {
            let Ok(outbound) = std::net::TcpStream::connect(&to) else { continue };
            let pipe = |mut a: std::net::TcpStream, mut b: std::net::TcpStream| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = a.read(&mut buf) {
                        if n == 0 || b.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
            };
            pipe(inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
            pipe(outbound, inbound);
        }
    });
    port
}

/// Where this machine's Python lives (pyenv or Debian's), to mount into the containers.
fn python() -> PathBuf {
    let out = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().unwrap();
    PathBuf::from(text(&out.stdout).trim())
}

/// The bind mounts that give an empty image this machine's programs, read-only.
fn mounts(python: &Path) -> Vec<String> {
    let mut dirs: Vec<PathBuf> = ["/usr", "/lib", "/lib64", "/bin"].iter().map(PathBuf::from).collect();
    // A Python outside /usr (pyenv): its whole tree.
    if !python.starts_with("/usr") {
        let root = python.ancestors().nth(3).unwrap_or(python).to_path_buf();
        dirs.push(root);
    }
    dirs.iter()
        .filter(|d| d.exists())
        .flat_map(|d| ["-v".to_string(), format!("{0}:{0}:ro", d.display())])
        .collect()
}

const IN_THE_CONTAINER: &str = r#"
import json, os, urllib.request, boto3
out = {"env": sorted(k for k in os.environ if k.startswith("AWS_"))}
session = boto3.Session()
creds = session.get_credentials().get_frozen_credentials()
out["key"] = creds.access_key
sts = session.client("sts", endpoint_url=os.environ["STS"])
out["account"] = sts.get_caller_identity()["Account"]
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
def status(headers):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
out["no_token"] = status({})
out["wrong_token"] = status({"Authorization": "x" * 43})
token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read()
try:
    open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], "w").write("x")
    out["token_writable"] = True
except OSError:
    out["token_writable"] = False
out["aws_dir"] = os.path.exists(os.path.expanduser("~/.aws"))
if os.environ.get("RENEWAL"):
    import time
    def key():
        r = urllib.request.Request(url, headers={"Authorization": token})
        return json.load(urllib.request.urlopen(r, timeout=5))["AccessKeyId"]
    first = key()
    time.sleep(4)
    out["renewed"] = key() != first
print(json.dumps(out))
"#;

#[test]
fn the_role_inside_containers() {
    let Some(daemon) = Daemon::start() else { return };
    let Some(moto) = Moto::start() else { return };
    let image = "swrole-test:empty";
    let import = Command::new("sh")
        .args(["-c", &format!("tar -cf - -T /dev/null | docker import - {image}")])
        .env("DOCKER_HOST", daemon.host())
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", text(&import.stderr));
    let fx = Fixture::new(SEED_CONFIG, SEED_CREDENTIALS);
    let runtime = fx.home().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let python = python();
    let swrole = |args: &[&str]| {
        let mut c = Command::new(swrole_path());
        c.args(args)
            .current_dir(fx.home())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", fx.home())
            .env("USER", "tester")
            .env("SWROLE_CACHE_STORE", "file")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DOCKER_HOST", daemon.host())
            .env("AWS_ENDPOINT_URL_STS", moto.url());
        crate::util::without_terminal(&mut c);
        c
    };
    let run = |profile: &str, extra: &[&str], env: &[&str]| -> Command {
        let mut args: Vec<String> =
            ["exec", "--container", profile, "-t", "123456"].iter().map(|s| s.to_string()).collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(["--", "docker", "run", "--rm"].map(String::from));
        args.extend(mounts(&python));
        for e in env {
            args.extend(["-e".to_string(), e.to_string()]);
        }
        args.push(image.to_string());
        args.extend([python.display().to_string(), "-c".into(), IN_THE_CONTAINER.into()]);
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        swrole(&words)
    };

    // First use: the network is made (its gateway is where the endpoint listens), and a
    // relay puts moto at the gateway too.
    let first = run("sw-staging", &[], &["STS=http://127.0.0.1:9"]).output().unwrap();
    assert!(
        text(&first.stderr).contains("made the Docker network \"swrole\" (169.254.170.0/24"),
        "{}",
        text(&first.stderr)
    );
    let sts = format!(
        "STS=http://169.254.170.2:{}",
        relay("169.254.170.2:0", moto.url().trim_start_matches("http://").to_string())
    );

    // boto3 in the container: the staging role, from the endpoint; no key in its
    // environment, no token on it either; the token file read-only; no ~/.aws.
    let start = Instant::now();
    let out = run("sw-staging", &[], &[&sts]).output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["account"], "210987654321", "{got}");
    assert!(got["key"].as_str().unwrap().starts_with("ASIA"), "{got}");
    let env: Vec<&str> = got["env"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(
        env,
        [
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_DEFAULT_REGION",
            "AWS_REGION"
        ],
        "nothing else of the role or of this machine: {got}"
    );
    assert_eq!((got["no_token"].as_u64(), got["wrong_token"].as_u64()), (Some(401), Some(401)), "{got}");
    assert_eq!(
        (got["token_writable"].as_bool(), got["aws_dir"].as_bool()),
        (Some(false), Some(false)),
        "{got}"
    );
    eprintln!("containers: exec --container to the first answer inside: {} ms", took.as_millis());

    // The AWS CLI and the JS SDK v3 in the container, each the role.
    let aws = python.with_file_name("aws");
    let node_path =
        text(&Command::new("npm").args(["root", "-g"]).output().unwrap().stdout).trim().to_string();
    let sts_url = sts.trim_start_matches("STS=").to_string();
    let cli_and_js = |program: Vec<String>| {
        let mut args: Vec<String> =
            ["exec", "--container", "sw-production", "-t", "123456", "--", "docker", "run", "--rm"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        args.extend(mounts(&python));
        args.extend(["-e".to_string(), format!("NODE_PATH={node_path}"), image.to_string()]);
        args.extend(program);
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        swrole(&words).output().unwrap()
    };
    let out = cli_and_js(vec![
        aws.display().to_string(),
        "sts".into(),
        "get-caller-identity".into(),
        "--endpoint-url".into(),
        sts_url.clone(),
        "--query".into(),
        "Account".into(),
        "--output".into(),
        "text".into(),
    ]);
    assert_eq!(text(&out.stdout).trim(), "111111111111", "the AWS CLI: {}", text(&out.stderr));
    let js = format!(
        "const {{ STSClient, GetCallerIdentityCommand }} = require('@aws-sdk/client-sts');\
         new STSClient({{ endpoint: '{sts_url}' }}).send(new GetCallerIdentityCommand({{}}))\
         .then(r => console.log(r.Account), e => {{ console.error(e); process.exit(1); }});"
    );
    let out = cli_and_js(vec!["/usr/bin/node".into(), "-e".into(), js]);
    assert_eq!(text(&out.stdout).trim(), "111111111111", "the JS SDK v3: {}", text(&out.stderr));

    // Two roles side by side, each its own endpoint and token; one runs past a renewal
    // (a 15-minute role renewed 898 s before its end, so at once).
    let staging = run("sw-staging", &["-d", "15m", "--refresh-margin", "898"], &[&sts, "RENEWAL=1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let production = run("sw-production", &[], &[&sts]).stdout(Stdio::piped()).spawn().unwrap();
    let (staging, production) = (staging.wait_with_output().unwrap(), production.wait_with_output().unwrap());
    let staging: serde_json::Value = serde_json::from_slice(&staging.stdout).unwrap();
    let production: serde_json::Value = serde_json::from_slice(&production.stdout).unwrap();
    assert_eq!(
        (staging["account"].as_str(), production["account"].as_str()),
        (Some("210987654321"), Some("111111111111"))
    );
    assert_eq!(staging["renewed"], true, "{staging}");

    // docker compose (Debian's docker-compose): the service names the network, the URL, the
    // token file and the region from compose's environment (docs/containers.md).
    if require("docker-compose") {
        let dir = tempfile::tempdir().unwrap();
        let mut volumes = vec![serde_json::json!("${SWROLE_TOKEN_FILE}:/run/swrole/token:ro")];
        volumes.extend(mounts(&python).chunks(2).map(|m| serde_json::json!(m[1])));
        let compose = format!(
            "version: \"3.8\"\nservices:\n  app:\n    image: {image}\n    networks: [swrole]\n    environment:\n      \
             AWS_CONTAINER_CREDENTIALS_FULL_URI: ${{AWS_CONTAINER_CREDENTIALS_FULL_URI}}\n      \
             AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: /run/swrole/token\n      AWS_REGION: ${{AWS_REGION}}\n      \
             AWS_DEFAULT_REGION: ${{AWS_DEFAULT_REGION}}\n      \
             STS: {sts_url}\n    volumes: {}\n    command: {}\nnetworks:\n  swrole:\n    external: true\n",
            serde_json::Value::from(volumes),
            serde_json::json!([python.display().to_string(), "-c", IN_THE_CONTAINER]),
        );
        std::fs::write(dir.path().join("compose.yml"), &compose).unwrap();
        let file = dir.path().join("compose.yml");
        let out = swrole(&[
            "exec",
            "--container",
            "sw-staging",
            "-t",
            "123456",
            "--",
            "docker-compose",
            "-f",
            file.to_str().unwrap(),
            "-p",
            "swroletest",
            "run",
            "--rm",
            "-T",
            "app",
        ])
        .output()
        .unwrap();
        assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
        let last = text(&out.stdout).lines().last().unwrap_or_default().to_string();
        let got: serde_json::Value =
            serde_json::from_str(&last).unwrap_or_else(|_| panic!("{}", text(&out.stdout)));
        assert_eq!(
            (got["account"].as_str(), got["no_token"].as_u64()),
            (Some("210987654321"), Some(401)),
            "{got}"
        );
    }

    // Nothing of swrole's is left: no container, no token file; the network stays.
    assert_eq!(text(&daemon.docker(&["ps", "-aq"]).stdout), "", "no container left");
    assert_eq!(std::fs::read_dir(&runtime).unwrap().count(), 0, "no token file left");
    assert!(daemon.docker(&["network", "inspect", "swrole"]).status.success());
    // The record names each container.
    let log = swrole(&["log", "--json"]).output().unwrap();
    let lines: Vec<serde_json::Value> =
        text(&log.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let containers: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["mode"] == "container" && l["command"][0] == "docker").collect();
    assert!(containers.len() >= 5, "{lines:?}");
    assert!(
        lines.iter().any(|l| l["mode"] == "container" && l["command"][0] == "docker-compose"),
        "{lines:?}"
    );
    assert!(
        containers.iter().all(|l| l["command"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("swrole-sw-"))),
        "{containers:?}"
    );

    // What is refused, nothing started: --network, -d, a network of that name with other
    // addresses, no daemon, no docker.
    let refused = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = swrole(args);
        c.envs(env.iter().copied());
        let out = c.output().unwrap();
        assert!(!out.status.success() && out.stdout.is_empty(), "{args:?}");
        text(&out.stderr)
    };
    let base = ["exec", "--container", "sw-staging", "-t", "123456", "--", "docker", "run"];
    let with = |more: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(more.iter().copied()).collect()
    };
    assert!(
        refused(&with(&["--network", "host", image, "true"]), &[])
            .contains("swrole puts the container on its own network")
    );
    assert!(refused(&with(&["-d", image, "true"]), &[]).contains("-d would leave the container running"));
    assert!(daemon.docker(&["network", "rm", "swrole"]).status.success());
    assert!(daemon.docker(&["network", "create", "--subnet", "10.99.0.0/24", "swrole"]).status.success());
    let err = refused(&with(&[image, "true"]), &[]);
    assert!(err.contains("exists with other addresses (10.99.0.0/24"), "{err}");
    let inspect = daemon.docker(&[
        "network",
        "inspect",
        "swrole",
        "--format",
        "{{range .IPAM.Config}}{{.Subnet}}{{end}}",
    ]);
    assert_eq!(text(&inspect.stdout).trim(), "10.99.0.0/24", "nothing changed");
    let err = refused(&with(&[image, "true"]), &[("DOCKER_HOST", "unix:///nonexistent.sock")]);
    assert!(err.contains("the Docker daemon does not answer"), "{err}");
    let err = refused(&with(&[image, "true"]), &[("PATH", "/nonexistent")]);
    assert!(err.contains("docker is not installed"), "{err}");
    assert_eq!(std::fs::read_dir(&runtime).unwrap().count(), 0);
}
