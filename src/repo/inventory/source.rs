//! One inventory source (`-i`): a file (script, YAML or INI), a directory of them, or a
//! comma-separated host list; dispatched to a parser the way Ansible picks its plugins.

use std::path::Path;
use std::sync::LazyLock;

use fancy_regex::Regex;

use super::hostrange::parse_address;
use super::model::Graph;
use super::{InventoryError, ini, script, yaml};

/// Directory entries Ansible skips when a directory is an inventory source.
static IGNORED: LazyLock<Regex> = LazyLock::new(|| {
    let exts = [
        ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
    ];
    let mut parts = vec![
        r"^\.".to_string(),
        "^host_vars$".into(),
        "^group_vars$".into(),
        "^vars_plugins$".into(),
    ];
    parts.extend(exts.iter().map(|e| format!("{}$", fancy_regex::escape(e))));
    Regex::new(&parts.join("|")).expect("the ignore pattern is valid")
});

/// Whether a directory entry is skipped when its directory is an inventory source.
pub fn ignored(name: &str) -> bool {
    IGNORED.is_match(name).unwrap_or(false)
}

/// Parses one source into the graph.
pub fn parse_source(
    graph: &mut Graph,
    source: &Path,
    warnings: &mut Vec<String>,
) -> Result<(), InventoryError> {
    let text = source.to_string_lossy();
    if !source.exists() && text.contains(',') {
        return parse_host_list(graph, &text);
    }
    if !source.exists() {
        return Err(InventoryError::Missing {
            path: source.to_path_buf(),
        });
    }
    if source.is_dir() {
        let names = super::varsdir::sorted_names(source).map_err(|e| InventoryError::Read {
            path: source.to_path_buf(),
            source: e,
        })?;
        for name in names {
            if ignored(&name) {
                continue;
            }
            parse_source(graph, &source.join(name), warnings)?;
        }
        return Ok(());
    }
    graph.current_source = Some(source.to_path_buf());
    let result = parse_file(graph, source, warnings);
    graph.current_source = None;
    result
}

fn parse_file(graph: &mut Graph, path: &Path, warnings: &mut Vec<String>) -> Result<(), InventoryError> {
    if script::is_script(path) {
        return script::parse(graph, path, warnings);
    }
    let text = std::fs::read_to_string(path).map_err(|e| InventoryError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let ext = path.extension().and_then(|e| e.to_str());
    if ext == Some("toml") {
        return Err(InventoryError::invalid(
            &crate::loc::Loc::file(path),
            "TOML inventories are not supported; use YAML or INI",
        ));
    }
    if yaml::wants(path) {
        match crate::yaml::load_str(&text, path) {
            Ok(None) => return Ok(()),
            Ok(Some(root)) if root.is_null() => return Ok(()),
            Ok(Some(root)) if root.as_map().is_some() => return yaml::parse(graph, &root, warnings),
            // A file without extension that is not a YAML mapping is read as INI, as Ansible does.
            Ok(Some(root)) if ext.is_some() => {
                return Err(InventoryError::invalid(
                    &root.loc,
                    format!(
                        "a YAML inventory must be a mapping of group names, got {}",
                        root.type_name()
                    ),
                ));
            }
            Err(e) if ext.is_some() => return Err(e.into()),
            _ => {}
        }
    }
    ini::parse(graph, &text, path)
}

/// `-i 'host1,host2:2222,'`: hosts separated by commas.
fn parse_host_list(graph: &mut Graph, text: &str) -> Result<(), InventoryError> {
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (host, port) = parse_address(item)
            .filter(|(h, _)| !h.contains('['))
            .unwrap_or_else(|| (item.to_string(), None));
        graph
            .add_host(&host, Some("ungrouped"), port)
            .map_err(|e| InventoryError::Invalid {
                loc: crate::loc::Loc::file(Path::new(text)),
                message: e.to_string(),
            })?;
    }
    Ok(())
}
