import pilar


def version(request):
    # The release shown in the page footer (docs/DEPLOY.md, "Upgrades").
    return {"pilar_version": pilar.__version__}
