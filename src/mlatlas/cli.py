"""The `mlatlas` command: build, serve, check, scaffold, read paths, and run chapter demos."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="ML Atlas: build and serve a learning lab; run the atlas's chapter demos.",
)
console = Console(stderr=True, highlight=False, soft_wrap=True)

DirArg = Annotated[Path | None, typer.Argument(help="Site folder (default: the bundled atlas).")]


def bundled_site() -> Path:
    """The atlas's own content folder, in a clone of the repository."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "content" / "site.toml"
        if candidate.exists():
            return candidate.parent
    console.print(
        "[red]No bundled atlas found[/red] (this install has no content/ folder). "
        "Pass the path of a site folder, e.g. `mlatlas build my-notes`."
    )
    raise typer.Exit(2)


def _resolve(folder: Path | None) -> Path:
    return (folder or bundled_site()).resolve()


def _report(exc) -> None:
    problems = exc.problems
    for p in problems:
        console.print(str(p), markup=False)
    errors = sum(1 for p in problems if p.severity == "error")
    console.print(
        f"[red]{errors} {'problem' if errors == 1 else 'problems'} found[/red]; nothing was written."
    )


def _build(folder: Path, out: Path, *, check_only: bool = False):
    from .site.build import build_site, default_cache_dir
    from .site.mathrender import MathSetupError
    from .site.problems import BuildError

    with console.status("building…") as status:
        try:
            return build_site(
                folder,
                out,
                cache_dir=default_cache_dir(folder),
                check_only=check_only,
                progress=lambda msg: status.update(msg),
            )
        except BuildError as exc:
            status.stop()
            _report(exc)
            raise typer.Exit(1) from None
        except MathSetupError as exc:
            status.stop()
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None


@app.command()
def build(
    folder: DirArg = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("_site"),
) -> None:
    """Build the site into OUT (the previous output is replaced only if the build succeeds)."""
    site = _resolve(folder)
    result = _build(site, out)
    for w in result.warnings:
        console.print(str(w), markup=False)
    console.print(
        f"built {result.pages} pages into {out} in {result.seconds:.2f} s "
        f"({result.files_changed} files changed)"
    )


@app.command()
def check(folder: DirArg = None) -> None:
    """Check the site without writing anything: every problem is reported as file:line: message."""
    site = _resolve(folder)
    result = _build(site, Path("_unused"), check_only=True)
    for w in result.warnings:
        console.print(str(w), markup=False)
    console.print(f"[green]ok[/green]: {result.pages} pages, no problems ({result.seconds:.2f} s)")


@app.command()
def serve(
    folder: DirArg = None,
    port: Annotated[int, typer.Option("--port", "-p")] = 8000,
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("_site"),
) -> None:
    """Build, serve on http://127.0.0.1:PORT and rebuild + reload the browser on every change."""
    from .site.serve import serve_forever

    site = _resolve(folder)
    serve_forever(site, out.resolve(), port, console)


@app.command()
def new(
    kind: Annotated[str, typer.Argument(help="site, chapter, exploration or lab")],
    path: Annotated[Path, typer.Argument(help="Folder (site) or markdown file to create")],
) -> None:
    """Scaffold a new site folder, chapter, exploration or lab."""
    from .site.scaffold import new_page, new_site

    try:
        made = new_site(path) if kind == "site" else [new_page(kind, path)]
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    for m in made:
        console.print(f"created {m}")


def _load(folder: Path):
    from .site.load import load_site

    site, _ = load_site(folder)
    return site


def _page_or_exit(site, page_id: str):
    """The page with this id, or a clear message (with the nearest ids) and exit status 2."""
    from .site.problems import did_you_mean

    ids = site.by_id()
    page = ids.get(page_id)
    if page is None:
        console.print(f"[red]no page `{page_id}`[/red]{did_you_mean(page_id, ids)}")
        raise typer.Exit(2)
    return page


@app.command()
def path(page_id: Annotated[str, typer.Argument(help="Page id, e.g. gcn")], folder: DirArg = None) -> None:
    """Print the ordered reading path: everything PAGE_ID builds on, then the page."""
    from .site.graph import learning_path

    site = _load(_resolve(folder))
    _page_or_exit(site, page_id)
    for i, page in enumerate(learning_path(site, page_id), 1):
        print(f"{i:2d}. {page.id:32s} {page.title}")


@app.command("list")
def list_pages(folder: DirArg = None) -> None:
    """List collections and their pages, with ids."""
    site = _load(_resolve(folder))
    for coll in site.collections():
        print(f"{coll.title} ({coll.collection_kind}, id {coll.id})")
        for p in site.chapters_of(coll.id):
            demo = "  [run]" if p.demo else ""
            print(f"  {p.id:34s} {p.title}{demo}")
    for kind, label in (("exploration", "Explorations"), ("lab", "Labs")):
        pages = site.of_kind(kind)
        if pages:
            print(label)
            for p in sorted(pages, key=lambda p: p.title):
                print(f"  {p.id:34s} {p.title}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    page_id: Annotated[str, typer.Argument(help="Page id whose demo to run")],
    folder: Annotated[Path | None, typer.Option("--site", help="Site folder")] = None,
    nproc: Annotated[
        int | None,
        typer.Option("--nproc", min=1, help="Number of processes, for demos that take an `nproc` argument"),
    ] = None,
) -> None:
    """Run a chapter's demo (its `demo:` function). Extra arguments are passed to the demo as argv."""
    site = _load(_resolve(folder))
    page = _page_or_exit(site, page_id)
    if not page.demo:
        runnable = sorted(p.id for p in site.pages if p.demo)
        console.print(f"[red]`{page_id}` has no demo[/red]; pages with one: {', '.join(runnable)}")
        raise typer.Exit(2)
    module, _, func = page.demo.partition(":")
    fn = importlib.import_module(module)
    for part in func.split("."):
        fn = getattr(fn, part)
    kwargs = {}
    if nproc is not None:
        import inspect

        params = inspect.signature(fn).parameters
        if "nproc" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            console.print(f"[red]the demo of `{page_id}` ({page.demo}) takes no `nproc` argument[/red]")
            raise typer.Exit(2)
        kwargs["nproc"] = nproc
    sys.argv = [f"mlatlas run {page_id}", *ctx.args]
    t0 = time.perf_counter()
    fn(**kwargs)
    console.print(f"[dim]{page.demo} finished in {time.perf_counter() - t0:.1f} s[/dim]")


@app.command()
def exercise(
    page_id: Annotated[str, typer.Argument(help="Chapter id, e.g. softmax")],
    check: Annotated[
        Path | None, typer.Option("--check", help="Your file: run the chapter's tests against it")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the starter file")] = Path("."),
    folder: Annotated[Path | None, typer.Option("--site", help="Site folder")] = None,
) -> None:
    """Write a starter file for a chapter's exercise, or check your file with the chapter's own tests."""
    import json
    import os
    import subprocess

    from .site.exercises import ENV, write_starter
    from .site.verifications import scan_tests

    site = _load(_resolve(folder))
    page = _page_or_exit(site, page_id)
    if not page.exercises:
        with_ex = sorted(p.id for p in site.pages if p.exercises)
        console.print(f"[red]`{page_id}` has no exercise[/red]; chapters with one: {', '.join(with_ex)}")
        raise typer.Exit(2)
    if check is None:
        try:
            path = write_starter(page_id, list(page.exercises), out)
        except (FileExistsError, OSError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        names = ", ".join(t.partition(":")[2] for t in page.exercises)
        print(f"wrote {path}: write {names}, then run\n  mlatlas exercise {page_id} --check {path}")
        return
    if not check.is_file():
        console.print(f"[red]no file {check}[/red]")
        raise typer.Exit(2)
    declared, _ = scan_tests(site.config.tests)
    files = sorted({str(d.path) for d in declared if d.page == page_id})
    if not files:
        console.print(f'[red]no test declares @verifies("{page_id}", ...)[/red]')
        raise typer.Exit(2)
    env = {
        **os.environ,
        ENV: json.dumps({"file": str(check.resolve()), "symbols": list(page.exercises)}),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "PYTHONPATH": os.pathsep.join(
            [str(p) for p in site.config.python_path] + [os.environ.get("PYTHONPATH", "")]
        ),
    }
    cmd = [sys.executable, "-m", "pytest", "-p", "mlatlas.site.exercises", "-p", "no:cacheprovider"]
    cmd += ["-v", "--tb=short", "--no-header", "-W", "ignore::DeprecationWarning", *files]
    root = site.config.tests.parent if site.config.tests else Path.cwd()
    print(f"checking {check} against the tests of `{page_id}`: {', '.join(Path(f).name for f in files)}")
    proc = subprocess.run(cmd, env=env, cwd=root, check=False)
    if proc.returncode == 0:
        console.print(f"[green]every test of `{page_id}` passes with your code[/green]")
    raise typer.Exit(0 if proc.returncode == 0 else 1)


if __name__ == "__main__":
    app()
