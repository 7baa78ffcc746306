from django.urls import path

from shiji.orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.org_tree, name="tree"),
]
