"""Finding a recipe: a path as given, or a built-in recipe by name; loaded and validated."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sandbox.core.suggest import did_you_mean
from sandbox.domains.registry import domain_folders
from sandbox.errors import UsageError
from sandbox.recipe.model import Recipe
from sandbox.recipe.validate import load, load_file


def builtin_recipes() -> dict[str, Path]:
    """Built-in recipe name -> path of its YAML: the generic ones shipped in `sandbox/recipes/`, and those in the
    `recipes/` folder of every domain's package (a domain of your own may ship some too)."""
    folders = [Path(str(resources.files("sandbox") / "recipes")), *(p / "recipes" for p in domain_folders())]
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def recipe_path(recipe: str | Path) -> Path:
    """A path as given, else a built-in recipe by name."""
    path = Path(recipe)
    if path.exists():
        return path
    builtins = builtin_recipes()
    if str(recipe) in builtins:
        return builtins[str(recipe)]
    hint = did_you_mean(recipe, builtins)
    raise UsageError(
        f"{recipe}: expected a recipe file or a built-in recipe ({', '.join(sorted(builtins))}), got neither"
        + (f" (did you mean {hint}?)" if hint else "")
    )


def load_recipe(recipe: str | Path | Recipe) -> Recipe:
    """Load and validate a recipe from a path or built-in name (raises RecipeError with every issue)."""
    if isinstance(recipe, Recipe):
        return recipe
    return load_file(recipe_path(recipe))


def load_recipe_text(text: str, file: str = "<recipe>") -> Recipe:
    return load(text, file)
