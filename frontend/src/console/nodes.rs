//! The nodes table: one row per node of the cluster (just this one on SQLite), as the live
//! stream reads them each second: its id, whether its store answers, its connections, its
//! version and how long it has run. On Redis every node writes its own row there, so any
//! node's console lists them all.

use super::format;
use crate::testid;
use chinwag_shared::console::NodeStatus;
use yew::prelude::*;

/// Props of [`NodesTable`].
#[derive(Properties, PartialEq)]
pub struct NodesTableProps {
    /// Every node.
    pub nodes: Vec<NodeStatus>,
}

/// The nodes table.
#[component]
pub fn NodesTable(props: &NodesTableProps) -> Html {
    html! {
        <section class="card" aria-labelledby="nodes-title">
            <h2 id="nodes-title">{ format!("Nodes ({})", props.nodes.len()) }</h2>
            if props.nodes.is_empty() {
                <p class="empty-state">{ "No node has reported yet." }</p>
            } else {
                <table class="data cards" data-testid={testid::NODES}>
                    <thead>
                        <tr>
                            <th scope="col">{ "Node" }</th>
                            <th scope="col">{ "Store" }</th>
                            <th scope="col" class="num">{ "Connections" }</th>
                            <th scope="col">{ "Version" }</th>
                            <th scope="col">{ "Up" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for props.nodes.iter().map(row) }
                    </tbody>
                </table>
            }
        </section>
    }
}

/// One node's row.
fn row(node: &NodeStatus) -> Html {
    let (ready_class, ready) = if node.ready {
        ("badge open", "ready")
    } else {
        ("badge offline", "not ready")
    };
    html! {
        <tr key={node.id.clone()} data-testid={testid::NODE_ROW} data-node={node.id.clone()}>
            <td data-label="Node">
                <code class="node-id">{ &node.id }</code>
                if node.this { <span class="tag">{ "this one" }</span> }
            </td>
            <td data-label="Store"><span class={ready_class}>{ ready }</span></td>
            <td data-label="Connections" class="num">{ format::number(node.connections as f64) }</td>
            <td data-label="Version">{ &node.version }</td>
            <td data-label="Up">{ format::duration(node.uptime_secs) }</td>
        </tr>
    }
}
