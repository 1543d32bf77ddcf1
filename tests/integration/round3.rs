//! Hardening, round 3: what the attack of a second local user and real clients found,
//! each class with its variants (the key store's items are in `keystore.rs`).

use crate::moto::Moto;
use crate::util::Fixture;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A CA bundle of the test's own (openssl), once per run: any PEM file with a certificate.
fn ca_bundle() -> &'static str {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
    &DIR.get_or_init(|| {
        assert!(crate::util::require("openssl"), "openssl makes the test's CA");
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"])
            .args(["-days", "2", "-subj", "/CN=swrole round3 CA"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl: {}", text(&out.stderr));
        let path = dir.path().join("ca.pem").display().to_string();
        (dir, path)
    })
    .1
}

fn config(sts: &str, ca: &str) -> String {
    format!(
        "[profile tls]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/tls\nca_bundle = {ca}\n\
         services = local\n\
         [services local]\nsts =\n  endpoint_url = {sts}\ns3 =\n  endpoint_url = http://127.0.0.1:9/s3\n\
         [profile plain]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/plain\n\
         [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = base-secret\n"
    )
}

/// Items 13 and 14: the CA bundle a profile names reaches the shell's tools (a switch
/// exports it, and clears only what it exported), and a job of `exec --server`, which sees
/// no AWS file, gets the bundle and the endpoints the profile configured.
#[test]
fn what_the_profile_configured_reaches_the_shell_and_the_job() {
    let ca = ca_bundle();
    let Some(moto) = Moto::start() else { return };
    let fx = Fixture::new(&config(&moto.url(), ca), "");
    let switch = |profile: &str, env: &[(&str, &str)]| {
        let out = fx
            .swrole()
            .args([profile, "--shell", "bash", "--no-cache"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{profile}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let tls = switch("tls", &[]);
    let has = |out: &str, line: String| out.lines().any(|l| l.strip_suffix(';') == Some(line.as_str()));
    assert!(has(&tls, format!("\\export AWS_CA_BUNDLE={ca}")), "{tls}");
    assert!(has(&tls, format!("\\export SWROLE_CA_BUNDLE={ca}")), "{tls}");
    // Then a profile without one: what swrole exported goes, the user's own stays.
    let ours = switch(
        "plain",
        &[("AWS_CA_BUNDLE", ca), ("SWROLE_CA_BUNDLE", ca), ("AWS_ENDPOINT_URL_STS", &moto.url())],
    );
    assert!(
        has(&ours, "\\unset AWS_CA_BUNDLE".into()) && has(&ours, "\\unset SWROLE_CA_BUNDLE".into()),
        "{ours}"
    );
    let users = switch("plain", &[("AWS_CA_BUNDLE", ca), ("AWS_ENDPOINT_URL_STS", &moto.url())]);
    assert!(!users.contains("CA_BUNDLE"), "the user's own bundle is left alone: {users}");
    // An exported bundle does not hide the next profile's own.
    let again = switch("tls", &[("AWS_CA_BUNDLE", "/elsewhere.pem"), ("SWROLE_CA_BUNDLE", "/elsewhere.pem")]);
    assert!(has(&again, format!("\\export AWS_CA_BUNDLE={ca}")), "{again}");
    // The job: no files, but the bundle, the endpoints, and the JS SDK v2 told to honour
    // the hidden files; no secret and no loop guard in its environment.
    let out = fx.swrole().args(["exec", "--server", "tls", "--no-cache", "--", "env"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let env = text(&out.stdout);
    for line in [
        format!("AWS_CA_BUNDLE={ca}"),
        "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9/s3".to_string(),
        format!("AWS_ENDPOINT_URL_STS={}", moto.url()),
        "AWS_SDK_LOAD_CONFIG=1".to_string(),
        "AWS_CONFIG_FILE=/dev/null".to_string(),
    ] {
        assert!(env.lines().any(|l| l == line), "the job lacks {line}:\n{env}");
    }
    for absent in [
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_SESSION_TOKEN=",
        "SWROLE_CREDENTIAL_PROCESS_CHAIN=",
    ] {
        assert!(!env.lines().any(|l| l.starts_with(absent)), "the job has {absent}:\n{env}");
    }
    assert!(!env.contains("base-secret"), "a secret in the job's environment");
}

/// Item 8: as an ordinary user (uid 65534, whose kernel key quota is 20,000 bytes), thirty
/// role profiles switch one after the other: every switch works, and swrole's cache keeps
/// to its share of the quota, leaving room for the user's other programs.
#[test]
fn the_kernel_keyring_cache_keeps_to_its_share_of_the_quota() {
    if !crate::util::require("setpriv") || !crate::util::require("keyctl") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let mut config =
        String::from("[profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = s\n");
    for n in 0..30 {
        config.push_str(&format!(
            "[profile p{n}]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/role-{n}\n"
        ));
    }
    let fx = Fixture::new(&config, "");
    let chown =
        std::process::Command::new("chown").args(["-R", "65534:65534"]).arg(fx.home()).status().unwrap();
    assert!(chown.success());
    let nobody = |script: &str| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", "sh", "-c", script])
            .current_dir(fx.home())
            .env_clear()
            .env("PATH", crate::util::path_with_swrole())
            .env("HOME", fx.home())
            .env("USER", "nobody")
            .env("AWS_ENDPOINT_URL_STS", sts.url())
            .output()
            .unwrap()
    };
    // A clean keyring for the test user, then thirty switches.
    nobody("keyctl clear @u");
    let out = nobody("for n in $(seq 0 29); do swrole p$n --shell bash >/dev/null || exit $((10 + n)); done");
    assert!(out.status.success(), "{:?} {}", out.status.code(), text(&out.stderr));
    assert!(!text(&out.stderr).contains("quota"), "the quota never got in the way: {}", text(&out.stderr));
    let users = std::fs::read_to_string("/proc/key-users").unwrap();
    let line = users.lines().find(|l| l.trim_start().starts_with("65534:")).expect("uid 65534 has keys");
    // "65534:  N N/N K/200 BYTES/20000"
    let bytes: usize = line.split_whitespace().nth(4).unwrap().split('/').next().unwrap().parse().unwrap();
    assert!(bytes <= swrole::cache::KEYRING_SHARE + 2_000, "{bytes} bytes used of 20000: {line}");
    // The latest switches are still served from the cache (no STS call).
    let before = sts.requests();
    let out = nobody("swrole p29 --shell bash >/dev/null");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sts.requests(), before, "p29 came from the cache");
    nobody("keyctl clear @u");
}

pub const ROLE: &str = "[profile job]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/job\n\
                    [profile base]\naws_access_key_id = AKIABASEKEY000000001\naws_secret_access_key = base-secret\n";

/// A GET of the endpoint as an SDK makes it, from the job's own environment: prints the
/// status and the AccessKeyId (Python, so that the test needs no curl).
const ASK: &str = "import json, os, urllib.request\n\
    r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n\
    with urllib.request.urlopen(r, timeout=2) as a: print(a.status, json.load(a)['AccessKeyId'])\n";

/// Item 1: a job that leaves processes behind: swrole stays (adopting them, reaping the one
/// already ended) and the endpoint keeps serving the other until it ends, so the port is
/// never free while it may ask; swrole's status is the job's.
#[test]
fn the_endpoint_outlives_what_the_job_left_behind() {
    if !crate::util::require("python3") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    std::fs::write(fx.home().join("ask.py"), ASK).unwrap();
    // Three processes left: one that has already ended when the job does (swrole adopts it,
    // must reap it and go on waiting), one that ends when the test says go, and one that
    // asks a second after that (swrole waits for each, not for the first to end).
    let job = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > uri.txt; \
               (sh -c 'echo > quick' &); while [ ! -e quick ]; do sleep 0.05; done; sleep 0.3; \
               (while [ ! -e go ]; do sleep 0.05; done) & \
               (while [ ! -e go ]; do sleep 0.05; done; sleep 1; python3 ask.py > late.txt 2>&1) & \
               echo done > exited";
    let swrole = fx
        .no_terminal(&sts.url())
        .args(["exec", "--server", "job", "--", "sh", "-c", job])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !fx.home().join("exited").exists() {
        assert!(std::time::Instant::now() < deadline, "the job never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The job has ended; what it left holds the URL. Another local user (uid 65534) cannot
    // take the port meanwhile.
    let uri = std::fs::read_to_string(fx.home().join("uri.txt")).unwrap();
    let port = uri.trim().trim_end_matches('/').rsplit(':').next().unwrap().to_string();
    // Debian's python3 (a test tool): the other user cannot reach a python under /root.
    let python = "/usr/bin/python3";
    let steal = crate::util::require("setpriv").then(|| {
        assert!(
            std::path::Path::new(python).exists(),
            "{python} (Debian's python3) runs the other user's bind"
        );
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", python, "-c"])
            .arg(format!("import socket; s = socket.socket(); s.bind(('127.0.0.1', {port})); print('bound')"))
            .output()
            .unwrap()
    });
    std::fs::write(fx.home().join("go"), "").unwrap();
    if let Some(steal) = steal {
        assert!(
            !steal.status.success() && !text(&steal.stdout).contains("bound"),
            "another user bound the port"
        );
        assert!(text(&steal.stderr).contains("Address already in use"), "{}", text(&steal.stderr));
    }
    let out = swrole.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("the job left processes running"), "{}", text(&out.stderr));
    let late = std::fs::read_to_string(fx.home().join("late.txt")).unwrap();
    assert!(late.starts_with("200 ASIASHORTLIVED"), "the leftover process got its credentials: {late}");
}

/// Item 1: swrole killed with SIGKILL takes the job with it (PR_SET_PDEATHSIG).
#[test]
fn the_job_dies_with_swrole() {
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    let mut swrole = fx
        .no_terminal(&sts.url())
        .args(["exec", "--server", "job", "--", "sh", "-c", "echo $$ > job.pid; exec sleep 60"])
        .spawn()
        .unwrap();
    let pid_file = fx.home().join("job.pid");
    crate::util::wait_for_line(&pid_file);
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    swrole.kill().unwrap();
    swrole.wait().unwrap();
    let gone = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}/stat")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
    {
        assert!(std::time::Instant::now() < gone, "the job {pid} outlived swrole");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Item 9: a local user opening hundreds of connections (and swrole started with a soft
/// limit of 64 open files) cannot starve the job's own request.
#[test]
fn a_flood_of_connections_does_not_starve_the_job() {
    if !crate::util::require("python3") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    std::fs::write(fx.home().join("ask.py"), ASK).unwrap();
    let job = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > uri.txt; while [ ! -e go ]; do sleep 0.05; done; \
               python3 ask.py > asked.txt 2>&1";
    let swrole = crate::util::swrole_path();
    let mut run = fx.no_terminal(&sts.url());
    run.args([
        "-c",
        &format!("ulimit -Sn 64; exec '{}' exec --server job -- sh -c '{job}'", swrole.display()),
    ]);
    let mut cmd = std::process::Command::new("sh");
    cmd.args(run.get_args().collect::<Vec<_>>()).current_dir(fx.home()).env_clear();
    for (k, v) in run.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().unwrap();
    let uri_file = fx.home().join("uri.txt");
    crate::util::wait_for_line(&uri_file);
    let uri = std::fs::read_to_string(&uri_file).unwrap();
    let addr = uri.trim().trim_start_matches("http://").trim_end_matches('/').to_string();
    let flood: Vec<std::net::TcpStream> =
        (0..200).filter_map(|_| std::net::TcpStream::connect(&addr).ok()).collect();
    assert!(flood.len() >= 100, "the flood connected {} times", flood.len());
    std::fs::write(fx.home().join("go"), "").unwrap();
    let status = child.wait().unwrap();
    let asked = std::fs::read_to_string(fx.home().join("asked.txt")).unwrap_or_default();
    assert!(status.success() && asked.starts_with("200 ASIASHORTLIVED"), "the job's own request: {asked}");
    drop(flood);
}

/// Issue 40, item 11: another local user keeping 1,200 idle connections open, and opening
/// new ones all the time, does not starve the job: 8 of its requests, each with the 1 s a
/// JS SDK waits, all get credentials (the token decides; strangers never hold the job's
/// place, and the accept loop never waits for one).
#[test]
fn a_sustained_flood_of_idle_connections_does_not_starve_the_job() {
    if !crate::util::require("python3") {
        return;
    }
    let sts = crate::dayone::ShortSts::start(&[3300]);
    let fx = Fixture::new(ROLE, "");
    let ask = "import json, os, time, urllib.request\n\
               ok = 0\n\
               for _ in range(8):\n\
               \x20   r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})\n\
               \x20   try:\n\
               \x20       with urllib.request.urlopen(r, timeout=1) as a: ok += json.load(a)['AccessKeyId'].startswith('ASIA')\n\
               \x20   except Exception as e: print('failed:', type(e).__name__)\n\
               \x20   time.sleep(0.25)\n\
               print(ok, 'of 8')\n";
    std::fs::write(fx.home().join("ask.py"), ask).unwrap();
    let flood = "import resource, socket, sys, time\n\
                 hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n\
                 resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))\n\
                 host, port = sys.argv[1].rsplit(':', 1)\n\
                 socks, opened, end = [], 0, time.time() + 30\n\
                 while time.time() < end and not __import__('os').path.exists('stop'):\n\
                 \x20   try:\n\
                 \x20       socks.append(socket.create_connection((host, int(port)), timeout=1)); opened += 1\n\
                 \x20   except OSError:\n\
                 \x20       time.sleep(0.01); continue\n\
                 \x20   if len(socks) == 1200: open('full', 'w').close()\n\
                 \x20   if len(socks) > 1200: socks.pop(0).close()\n\
                 print(opened)\n";
    std::fs::write(fx.home().join("flood.py"), flood).unwrap();
    let job = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" > uri.txt; while [ ! -e full ]; do sleep 0.05; done; \
               python3 ask.py > asked.txt 2>&1";
    let mut swrole =
        fx.no_terminal(&sts.url()).args(["exec", "--server", "job", "--", "sh", "-c", job]).spawn().unwrap();
    let uri_file = fx.home().join("uri.txt");
    crate::util::wait_for_line(&uri_file);
    let uri = std::fs::read_to_string(&uri_file).unwrap();
    let addr = uri.trim().trim_start_matches("http://").trim_end_matches('/').to_string();
    let flooder = std::process::Command::new("python3")
        .arg("flood.py")
        .arg(&addr)
        .current_dir(fx.home())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = swrole.wait().unwrap();
    std::fs::write(fx.home().join("stop"), "").unwrap();
    let opened = String::from_utf8_lossy(&flooder.wait_with_output().unwrap().stdout)
        .trim()
        .parse::<u32>()
        .unwrap_or(0);
    let asked = std::fs::read_to_string(fx.home().join("asked.txt")).unwrap_or_default();
    assert!(opened >= 1200, "the flood opened {opened} connections");
    assert!(status.success() && asked.ends_with("8 of 8\n"), "the job's own requests: {asked}");
}
