"""Recipes: YAML -> located data -> validated, frozen model."""
