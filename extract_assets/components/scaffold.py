"""`dg scaffold defs extract_assets.<Provider>Component <path>`: a commented `defs.yaml` that loads
as written, for the user to fill in."""

from typing import ClassVar

import dagster as dg


class DefsYamlScaffolder(dg.Scaffolder):
    """Writes the provider's commented `template` as `defs.yaml`; `{type_name}` is the
    component's type."""

    template: ClassVar[str]

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        if request.scaffold_format == "python":
            # Dagster's component.py, for a function returning LinkupComponent(extracts=[...]).
            dg.scaffold_component(request, {})
            return
        request.target_path.mkdir(parents=True, exist_ok=True)
        defs_yaml = request.target_path / "defs.yaml"
        if defs_yaml.exists():
            raise FileExistsError(f"{defs_yaml} already exists; scaffold into a new folder.")
        defs_yaml.write_text(self.template.format(type_name=request.type_name), encoding="utf-8")
