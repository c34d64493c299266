//! A stand-in load balancer on 127.0.0.1 for rolling-deploy tests: pools of members over HTTP,
//! the API the `examples/services` play drives (and its `lb.py` serves by hand), recording every
//! removal and addition with its wall-clock time.
//!
//! - `GET /pools/POOL/members`: a JSON list of `{"id", "name", "address"}`;
//! - `POST /pools/POOL/members` (form fields `name`, `address`): adds the member, or answers the
//!   one with that address (idempotent);
//! - `DELETE /pools/POOL/members/ID`: removes it (404 when there is none).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// A running load balancer; it stops on drop.
pub struct LoadBalancer {
    server: Arc<tiny_http::Server>,
    port: u16,
    state: Arc<Mutex<State>>,
    thread: Option<JoinHandle<()>>,
}

/// One change of a pool.
#[derive(Clone, Debug)]
pub struct Event {
    /// `added` or `removed`.
    pub what: &'static str,
    pub pool: String,
    pub name: String,
    /// Seconds since the epoch, when the request arrived.
    pub at: f64,
}

#[derive(Default)]
struct State {
    pools: BTreeMap<String, Vec<Member>>,
    events: Vec<Event>,
    next_id: u32,
}

#[derive(Clone)]
struct Member {
    id: String,
    name: String,
    address: String,
}

impl LoadBalancer {
    /// Starts with `members`: (pool, name, address) each.
    pub fn start(members: &[(&str, &str, &str)]) -> LoadBalancer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("binding the load balancer"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let mut state = State::default();
        for (pool, name, address) in members {
            state.add(pool, name, address);
        }
        let state = Arc::new(Mutex::new(state));
        let (serving, shared) = (Arc::clone(&server), Arc::clone(&state));
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                answer(request, &shared);
            }
        });
        LoadBalancer {
            server,
            port,
            state,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The removals and additions so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.state.lock().expect("lb lock").events.clone()
    }

    /// The names of a pool's members, sorted.
    pub fn members(&self, pool: &str) -> Vec<String> {
        let state = self.state.lock().expect("lb lock");
        let mut names: Vec<String> = state
            .pools
            .get(pool)
            .map(|m| m.iter().map(|m| m.name.clone()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl State {
    /// Adds a member unless one has this address; the member.
    fn add(&mut self, pool: &str, name: &str, address: &str) -> (bool, Member) {
        let members = self.pools.entry(pool.to_string()).or_default();
        if let Some(m) = members.iter().find(|m| m.address == address) {
            return (false, m.clone());
        }
        self.next_id += 1;
        let member = Member {
            id: format!("m{}", self.next_id),
            name: name.to_string(),
            address: address.to_string(),
        };
        members.push(member.clone());
        (true, member)
    }

    fn record(&mut self, what: &'static str, pool: &str, m: &Member) {
        self.events.push(Event {
            what,
            pool: pool.to_string(),
            name: m.name.clone(),
            at: now(),
        });
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

fn member_json(m: &Member) -> Value {
    json!({"id": m.id, "name": m.name, "address": m.address})
}

fn answer(mut request: tiny_http::Request, state: &Mutex<State>) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let path = request.url().to_string();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (status, value) = match (request.method(), parts.as_slice()) {
        (tiny_http::Method::Get, ["pools", pool, "members"]) => {
            let state = state.lock().expect("lb lock");
            let members = state.pools.get(*pool).map(Vec::as_slice).unwrap_or_default();
            (200, Value::Array(members.iter().map(member_json).collect()))
        }
        (tiny_http::Method::Post, ["pools", pool, "members"]) => {
            let form: BTreeMap<String, String> = body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.replace("%2E", ".").replace("%3A", ":")))
                .collect();
            match (form.get("name"), form.get("address")) {
                (Some(name), Some(address)) => {
                    let mut state = state.lock().expect("lb lock");
                    let (added, member) = state.add(pool, name, address);
                    if added {
                        state.record("added", pool, &member);
                    }
                    (if added { 201 } else { 200 }, member_json(&member))
                }
                _ => (400, json!({"error": "name and address are required"})),
            }
        }
        (tiny_http::Method::Delete, ["pools", pool, "members", id]) => {
            let mut state = state.lock().expect("lb lock");
            let members = state.pools.entry(pool.to_string()).or_default();
            match members.iter().position(|m| m.id == *id) {
                Some(i) => {
                    let member = members.remove(i);
                    state.record("removed", pool, &member);
                    (200, member_json(&member))
                }
                None => (404, json!({"error": "no such member"})),
            }
        }
        _ => (404, json!({"error": "no such path"})),
    };
    let header = tiny_http::Header::from_bytes("Content-Type", "application/json").expect("a valid header");
    let response = tiny_http::Response::from_string(value.to_string())
        .with_status_code(status)
        .with_header(header);
    let _ = request.respond(response);
}
