//! Chinwag's browser client (placeholder).
//!
//! The full client — rooms, history, presence, reconnect with resume, an outbox of pending
//! sends — is built on this crate with Yew function components. For now it mounts a page that
//! says what to try, and proves the wasm build, trunk pipeline and static serving work.

use yew::prelude::*;

#[component]
fn App() -> Html {
    html! {
        <main class="placeholder">
            <h1>{ "Chinwag" }</h1>
            <p>{ "The relay is running. The full chat client is on its way." }</p>
            <p>
                { "Meanwhile, any WebSocket client can talk to " }
                <code>{ "/socket" }</code>
                { ", and " }
                <a href="/api/rooms">{ "/api/rooms" }</a>
                { " lists the rooms." }
            </p>
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
