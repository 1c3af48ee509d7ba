"""Glue between pages and the learner's Lab: actions that report errors next to their widget."""
