//! [`Listing`]: a list fetched from the server, as a panel shows it — loading, loaded, or
//! failed with a sentence to show.

/// A list the server is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Listing<T> {
    /// The request is on its way.
    #[default]
    Loading,
    /// The server's answer.
    Loaded(Vec<T>),
    /// The request failed; the sentence says why.
    Failed(String),
}

impl<T> Listing<T> {
    /// The items, if loaded.
    pub fn items(&self) -> Option<&[T]> {
        match self {
            Listing::Loaded(items) => Some(items),
            Listing::Loading | Listing::Failed(_) => None,
        }
    }

    /// Changes the loaded items in place; a list not loaded stays as it is, since the next
    /// load brings the server's truth anyway.
    pub fn edit(&mut self, change: impl FnOnce(&mut Vec<T>)) {
        if let Listing::Loaded(items) = self {
            change(items);
        }
    }
}
