//! The role inside a container (`swrole exec --container PROFILE -- docker run ...`): the
//! Docker network whose gateway is the address the SDKs call over plain http
//! (169.254.170.2), and the `docker run` arguments that put the container on it with the
//! endpoint's URL and a read-only token file. The docker CLI is run here; the argument
//! rewrite is pure.

use std::ffi::{OsStr, OsString};
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

/// swrole's Docker network: its name, subnet and gateway. The gateway is the host's
/// address on the network's bridge, where the endpoint listens; 169.254.170.2 is one of
/// the hosts every SDK calls over plain http (botocore's `ContainerMetadataFetcher`, the
/// JS SDK v3's `credential-provider-http`, the Go SDK's `endpointcreds`).
pub const NETWORK: &str = "swrole";
pub const SUBNET: &str = "169.254.170.0/24";
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 2);
/// Where the token file is mounted inside the container.
pub const TOKEN_PATH: &str = "/run/swrole/token";

/// The docker CLI that checks the daemon and the network: the command's own `docker`, or
/// `docker` beside (or on PATH for) a `docker-compose`.
pub fn cli(command: &[OsString]) -> Result<OsString> {
    let Some(first) = command.first() else { bail!("--container needs a docker command: -- docker run ...") };
    match Path::new(first).file_name().and_then(OsStr::to_str).unwrap_or("") {
        "docker" => Ok(first.clone()),
        "docker-compose" => Ok(Path::new(first).with_file_name("docker").into_os_string())
            .map(|d| if Path::new(&d).is_absolute() { d } else { OsString::from("docker") }),
        _ => bail!(
            "--container runs a docker command (-- docker run ..., docker compose ... or docker-compose ...), not {:?}",
            crate::text::sanitize(&first.to_string_lossy())
        ),
    }
}

/// The daemon answers, and swrole's network is there (made on first use) with its subnet
/// and gateway. An existing network of that name with other addresses is an error, and
/// nothing is changed.
pub fn ensure_network(docker: &OsStr) -> Result<()> {
    let run = |args: &[&str]| Command::new(docker).args(args).output();
    let info = match run(&["info", "--format", "{{.ServerVersion}}"]) {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "docker is not installed ({} is not on PATH): nothing was started",
                docker.to_string_lossy()
            )
        }
        Err(e) => bail!("could not run {}: {e}", docker.to_string_lossy()),
    };
    if !info.status.success() {
        bail!(
            "the Docker daemon does not answer ({}): start it (systemctl start docker, or Docker Desktop); nothing \
             was started",
            first_line(&info.stderr)
        );
    }
    let format = "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}";
    let inspect = run(&["network", "inspect", NETWORK, "--format", format])?;
    if inspect.status.success() {
        let found = String::from_utf8_lossy(&inspect.stdout).trim().to_string();
        if found != format!("{SUBNET} {GATEWAY};") {
            bail!(
                "the Docker network {NETWORK:?} exists with other addresses ({}), not {SUBNET} with gateway {GATEWAY}: \
                 nothing was changed (remove it with docker network rm {NETWORK}, and swrole makes it again)",
                crate::text::sanitize(&found)
            );
        }
        return Ok(());
    }
    let gateway = GATEWAY.to_string();
    let create = run(&[
        "network",
        "create",
        "--driver",
        "bridge",
        "--subnet",
        SUBNET,
        "--gateway",
        &gateway,
        NETWORK,
    ])?;
    if !create.status.success() {
        bail!("could not create the Docker network {NETWORK:?} ({SUBNET}): {}", first_line(&create.stderr));
    }
    eprintln!(
        "swrole: made the Docker network {NETWORK:?} ({SUBNET}, this machine at {GATEWAY}); it stays for next time"
    );
    Ok(())
}

fn first_line(bytes: &[u8]) -> String {
    crate::text::sanitize(
        String::from_utf8_lossy(bytes).lines().find(|l| !l.trim().is_empty()).unwrap_or("no message"),
    )
}

/// What the container gets: the endpoint's port, the token file on this machine, the
/// region, and the container's name (for the record).
pub struct Wiring<'a> {
    pub port: u16,
    pub token_file: &'a Path,
    pub region: Option<&'a str>,
    pub name: &'a str,
}

/// The docker command with the container wired to the endpoint: after `run` or `create`
/// (also `container run`), the network, the URL, the token file mounted read-only, the
/// region, and a name when none is given. `docker compose` is left as it is (its services
/// name the network and the variables: docs/containers.md). Refused: `--network` (the
/// container must be on swrole's), and `-d` (the endpoint lives while `docker run` does).
/// Returns the words and the container's name.
pub fn wire(command: &[OsString], w: &Wiring<'_>) -> Result<(Vec<OsString>, Option<String>)> {
    let words: Vec<String> = command.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    if words.first().is_some_and(|w| w == "docker-compose" || w.ends_with("/docker-compose")) {
        return Ok((command.to_vec(), None));
    }
    let Some(at) = words.iter().skip(1).position(|w| w == "run" || w == "create").map(|i| i + 2) else {
        if words.iter().any(|w| w == "compose") {
            return Ok((command.to_vec(), None));
        }
        bail!(
            "--container wires a container started by docker run (or create, or compose): none in the command"
        );
    };
    let rest = &words[at..];
    // The options end at the image: the first word that is not an option or its value.
    let options = options_of(rest);
    let names: Vec<&str> = options.iter().map(|(o, _)| o.as_str()).collect();
    if let Some(bad) =
        names.iter().find(|o| o.starts_with("--network") || o.starts_with("--net=") || **o == "--net")
    {
        bail!(
            "swrole puts the container on its own network ({NETWORK}); {bad} cannot be given too (to reach other \
             containers, connect this one to their network after it starts: docker network connect)"
        );
    }
    if names.iter().any(|o| is_detach(o)) {
        bail!(
            "-d would leave the container running after swrole ends, and with it the endpoint: run it in the \
             foreground (swrole serves it until it exits)"
        );
    }
    let given = options.iter().find_map(|(o, value)| match o.strip_prefix("--name=") {
        Some(n) => Some(n.to_string()),
        None if o.as_str() == "--name" => value.map(|v| v.to_string()),
        None => None,
    });
    let mut extra = vec![
        "--network".to_string(),
        NETWORK.to_string(),
        "--env".to_string(),
        format!("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://{GATEWAY}:{}/", w.port),
        "--env".to_string(),
        format!("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={TOKEN_PATH}"),
        "--mount".to_string(),
        format!("type=bind,source={},target={TOKEN_PATH},readonly", w.token_file.display()),
    ];
    if let Some(r) = w.region {
        extra.extend([
            "--env".to_string(),
            format!("AWS_REGION={r}"),
            "--env".to_string(),
            format!("AWS_DEFAULT_REGION={r}"),
        ]);
    }
    let name = match given {
        Some(n) => n,
        None => {
            extra.extend(["--name".to_string(), w.name.to_string()]);
            w.name.to_string()
        }
    };
    let mut out: Vec<OsString> = command[..at].to_vec();
    out.extend(extra.into_iter().map(OsString::from));
    out.extend(command[at..].iter().cloned());
    Ok((out, Some(name)))
}

/// `docker run`'s own options among `rest`, each with its value when it takes one as the
/// next word, up to the image.
fn options_of(rest: &[String]) -> Vec<(&String, Option<&String>)> {
    // The options of docker run that take a value as the next word (the rest are flags or
    // carry it after `=`).
    const VALUED: &[&str] = &[
        "-a",
        "--attach",
        "--add-host",
        "--cap-add",
        "--cap-drop",
        "--cgroup-parent",
        "--cidfile",
        "--cpus",
        "--cpu-shares",
        "-c",
        "--device",
        "--dns",
        "--entrypoint",
        "-e",
        "--env",
        "--env-file",
        "--expose",
        "--gpus",
        "-h",
        "--hostname",
        "--ip",
        "-l",
        "--label",
        "--label-file",
        "--log-driver",
        "--log-opt",
        "-m",
        "--memory",
        "--mount",
        "--name",
        "--network",
        "--net",
        "--platform",
        "-p",
        "--publish",
        "--pull",
        "--restart",
        "--runtime",
        "--security-opt",
        "--shm-size",
        "--stop-signal",
        "--stop-timeout",
        "--tmpfs",
        "-u",
        "--user",
        "--ulimit",
        "-v",
        "--volume",
        "--volumes-from",
        "-w",
        "--workdir",
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let w = &rest[i];
        if w == "--" || !w.starts_with('-') || w == "-" {
            break;
        }
        if VALUED.contains(&w.as_str()) {
            out.push((w, rest.get(i + 1)));
            i += 1;
        } else {
            out.push((w, None));
        }
        i += 1;
    }
    out
}

/// `-d`, `--detach` (but `--detach=false`), or a cluster of one-letter flags with `d`.
fn is_detach(o: &str) -> bool {
    o == "--detach"
        || o == "--detach=true"
        || (o.len() > 1
            && o.starts_with('-')
            && !o.starts_with("--")
            && o[1..].contains('d')
            && o[1..].bytes().all(|b| b"dit".contains(&b)))
}

/// A container name for the record: `swrole-PROFILE-` and 8 characters of `random`, in the
/// characters Docker takes.
pub fn name_for(profile: &str, random: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '-' })
        .take(40)
        .collect();
    format!("swrole-{}-{}", clean.trim_matches('-'), &random[..8.min(random.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    fn wired(w: &[&str]) -> Result<(Vec<String>, Option<String>)> {
        let wiring = Wiring {
            port: 4242,
            token_file: Path::new("/run/user/1000/swrole-x/token"),
            region: Some("eu-west-1"),
            name: "swrole-p-abcd",
        };
        wire(&words(w), &wiring)
            .map(|(w, n)| (w.iter().map(|x| x.to_string_lossy().into_owned()).collect(), n))
    }

    #[test]
    fn a_docker_run_is_wired_to_the_endpoint() {
        let (w, name) =
            wired(&["docker", "run", "--rm", "-e", "X=1", "amazon/aws-cli", "s3", "ls", "--network", "x"])
                .unwrap();
        assert_eq!(w[..3], ["docker", "run", "--network"]);
        assert!(
            w.contains(&"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2:4242/".to_string()),
            "{w:?}"
        );
        assert!(w.contains(&"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/run/swrole/token".to_string()), "{w:?}");
        assert!(w.contains(
            &"type=bind,source=/run/user/1000/swrole-x/token,target=/run/swrole/token,readonly".to_string()
        ));
        assert!(
            w.contains(&"AWS_REGION=eu-west-1".to_string()) && w.contains(&"--name".to_string()),
            "{w:?}"
        );
        assert_eq!(
            w[w.len() - 8..],
            ["--rm", "-e", "X=1", "amazon/aws-cli", "s3", "ls", "--network", "x"],
            "the command's own words after the image are its own"
        );
        assert_eq!(name.as_deref(), Some("swrole-p-abcd"));
        assert!(!w.iter().any(|x| x.contains("AUTHORIZATION_TOKEN=")), "the token is never on argv");
        // The user's own name is kept and recorded; global options before `run`; `container run`.
        let (w, name) =
            wired(&["docker", "--context", "c", "container", "run", "--name=job", "img"]).unwrap();
        assert_eq!(w[..5], ["docker", "--context", "c", "container", "run"]);
        assert_eq!((name.as_deref(), w.iter().filter(|x| *x == "--name").count()), (Some("job"), 0));
        let (_, name) = wired(&["docker", "run", "--name", "job2", "img"]).unwrap();
        assert_eq!(name.as_deref(), Some("job2"));
        // compose: as it is (its file names the network and the variables).
        let (w, name) = wired(&["docker", "compose", "up"]).unwrap();
        assert_eq!((w, name), (vec!["docker".to_string(), "compose".into(), "up".into()], None));
    }

    #[test]
    fn what_would_break_the_wiring_is_refused() {
        for bad in [
            &["docker", "run", "--network", "host", "img"][..],
            &["docker", "run", "--network=host", "img"],
            &["docker", "run", "--net=bridge", "img"],
        ] {
            assert!(
                wired(bad).unwrap_err().to_string().contains("swrole puts the container on its own network"),
                "{bad:?}"
            );
        }
        for bad in [
            &["docker", "run", "-d", "img"][..],
            &["docker", "run", "-dit", "img"],
            &["docker", "run", "--detach", "img"],
        ] {
            assert!(
                wired(bad).unwrap_err().to_string().contains("-d would leave the container running"),
                "{bad:?}"
            );
        }
        assert!(wired(&["docker", "run", "--detach=false", "img"]).is_ok());
        assert!(wired(&["docker", "run", "-e", "-d", "img"]).is_ok(), "-d as the value of -e");
        assert!(wired(&["docker", "ps"]).unwrap_err().to_string().contains("docker run"));
        assert!(cli(&words(&["podman", "run"])).is_err() && cli(&words(&["/usr/bin/docker", "run"])).is_ok());
        assert_eq!(cli(&words(&["/usr/bin/docker-compose", "up"])).unwrap(), "/usr/bin/docker");
        assert_eq!(cli(&words(&["docker-compose", "up"])).unwrap(), "docker");
        assert_eq!(wired(&["docker-compose", "run", "app"]).unwrap().1, None, "compose: as it is");
    }

    #[test]
    fn container_names_are_what_docker_takes() {
        assert_eq!(name_for("sw staging/x", "0123456789abcdef"), "swrole-sw-staging-x-01234567");
        assert!(name_for(&"p".repeat(100), "abcdefgh").len() <= 7 + 40 + 9);
    }
}
