//! The route table's registrar: every route the server serves goes through a [`Router`],
//! which registers it with actix and remembers its method and path.
//!
//! So the set of routes is known to code, not only to actix: the OpenAPI description
//! (`super::openapi`) is checked against it in a unit test, both ways, and a route added
//! without its description (or a description left behind by a removed route) fails that test
//! by name. [`Router::listing`] runs the same table without actix, to read the set.

use actix_web::{FromRequest, Handler, Responder, web};
use std::fmt;

/// An HTTP method of the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The lowercase name, as OpenAPI's path items key their operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    fn route(self) -> actix_web::Route {
        match self {
            Method::Get => web::get(),
            Method::Post => web::post(),
            Method::Put => web::put(),
            Method::Patch => web::patch(),
            Method::Delete => web::delete(),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_ascii_uppercase())
    }
}

/// One registered route: its method and its path, in actix's (and OpenAPI's) `{param}` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteEntry {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: &'static str,
}

impl fmt::Display for RouteEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Registers routes with actix (or, made by [`Router::listing`], only lists them), keeping
/// each one's method and path.
pub struct Router<'a> {
    actix: Option<&'a mut web::ServiceConfig>,
    routes: Vec<RouteEntry>,
}

impl<'a> Router<'a> {
    /// A router that registers every route with `cfg`.
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Self {
            actix: Some(cfg),
            routes: Vec::new(),
        }
    }

    /// A router that registers nothing and only lists: to read the route table.
    pub fn listing() -> Router<'static> {
        Router {
            actix: None,
            routes: Vec::new(),
        }
    }

    /// The routes registered so far, in order.
    pub fn routes(&self) -> &[RouteEntry] {
        &self.routes
    }

    /// Registers `handler` for `method` requests to `path`.
    pub fn route<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.actix.as_deref_mut() {
            cfg.route(path, method.route().to(handler));
        }
        self.routes.push(RouteEntry { method, path });
        self
    }

    /// `GET path`.
    pub fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::Get, path, handler)
    }

    /// `GET path` for a handler whose JSON may run to many kilobytes (a history page): its
    /// answers are gzipped for clients that accept it, since on a slow link the bytes are
    /// most of a page's time. Other routes answer a few hundred bytes, as they are.
    pub fn get_compressed<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.actix.as_deref_mut() {
            let route = Method::Get.route().to(handler);
            cfg.route(path, route.wrap(actix_web::middleware::Compress::default()));
        }
        self.routes.push(RouteEntry {
            method: Method::Get,
            path,
        });
        self
    }

    /// `POST path`.
    pub fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::Post, path, handler)
    }

    /// `PUT path`.
    pub fn put<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::Put, path, handler)
    }

    /// `PATCH path`.
    pub fn patch<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::Patch, path, handler)
    }

    /// `DELETE path`.
    pub fn delete<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::Delete, path, handler)
    }
}
