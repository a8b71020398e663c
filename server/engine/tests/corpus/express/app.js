// A tiny Express shop for the framework corpus tests: a home page linking to a route that
// throws. NODE_ENV decides what Express's default error handler shows.
const express = require("express");
const app = express();
app.get("/", (req, res) => {
  res.send('<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><a href="/boom">Order</a></body></html>');
});
app.get("/boom", () => {
  throw new Error("the order service is down");
});
app.listen(Number(process.argv[2]), "127.0.0.1");
