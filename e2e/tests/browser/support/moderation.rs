//! What a person does to a stored message through its actions menu ("⋯"): the author edits
//! it inline, the author or a moderator deletes it, a moderator bans its author.
//!
//! Each step clicks what a person would click — the menu's button, the item named by its
//! text, the confirmation's button — and then waits, bounded, for what its own screen must
//! show once it worked. Items are found by their text (XPath): that text is what the person
//! reads, and the UI contract gives the menu's button alone a `data-testid`.

use super::Browser;

/// XPath of the message whose `data-id` is `id` in the message list.
fn message_xpath(id: &str) -> String {
    format!(r#"//*[@data-testid="messages"]//li[@data-testid="message"][@data-id="{id}"]"#)
}

impl Browser {
    /// Signs in as `name` on the first screen (its sign-in mode, the default), and waits until
    /// the chat shows the account signed in, connected, in `general`.
    pub async fn sign_in(&self, name: &str, password: &str) {
        self.goto("/").await;
        self.wait_until("the sign-in screen", |p| p.account_screen.then_some(()))
            .await;
        self.submit_account_form(name, password).await;
        self.wait_until_signed_in(name).await;
    }

    /// Opens the actions menu of message `id` and clicks its item `item` ("Edit", "Delete",
    /// "Ban bob").
    pub async fn choose_on_message(&self, id: &str, item: &str) {
        let message = message_xpath(id);
        let toggle = format!(r#"{message}//button[@data-testid="message-menu"]"#);
        self.find_xpath(&toggle)
            .await
            .click()
            .await
            .expect("open the message's menu");
        let choice = format!(
            r#"{message}//*[@role="menu"]//button[@role="menuitem"][normalize-space(.)="{item}"]"#
        );
        self.find_xpath(&choice)
            .await
            .click()
            .await
            .unwrap_or_else(|err| panic!("choose {item:?}: {err}"));
    }

    /// Clicks `button` ("Delete", "1 hour") in the confirmation that message `id`'s menu
    /// asks.
    pub async fn confirm_on_message(&self, id: &str, button: &str) {
        let confirm = format!(
            r#"{}//*[contains(@class, "action-confirm")]//button[normalize-space(.)="{button}"]"#,
            message_xpath(id)
        );
        self.find_xpath(&confirm)
            .await
            .click()
            .await
            .unwrap_or_else(|err| panic!("confirm with {button:?}: {err}"));
    }

    /// Deletes message `id` ("Delete", confirmed) and waits until this screen shows it as a
    /// tombstone.
    pub async fn delete_message(&self, id: &str) {
        self.choose_on_message(id, "Delete").await;
        self.confirm_on_message(id, "Delete").await;
        self.wait_until(
            &format!("message {id} deleted on the deleter's screen"),
            |p| p.message(id).filter(|m| m.deleted).map(|_| ()),
        )
        .await;
    }

    /// Edits own message `id` to `text` ("Edit", replace the text, Enter) and waits until this
    /// screen shows the new text marked edited.
    pub async fn edit_message(&self, id: &str, text: &str) {
        self.choose_on_message(id, "Edit").await;
        self.replace_text("edit-input", text).await;
        self.press_enter("edit-input").await;
        self.wait_until(
            &format!("message {id} edited on the author's screen"),
            |p| {
                p.message(id)
                    .filter(|m| m.edited && m.text() == Some(text))
                    .map(|_| ())
            },
        )
        .await;
    }

    /// Bans the author `who` of message `id` for `duration` (the confirmation's button:
    /// "10 minutes" … "until lifted"). What the banned one sees is theirs to check.
    pub async fn ban_author(&self, id: &str, who: &str, duration: &str) {
        self.choose_on_message(id, &format!("Ban {who}")).await;
        self.confirm_on_message(id, duration).await;
    }
}
