from django.urls import path

from pilar.equipment import views

app_name = "equipment"
urlpatterns = [
    path("", views.catalog_view, name="catalog"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/repairs/new/", views.repair_create, name="repair-create"),
    path("receipts/new/", views.receipt_create, name="receipt-create"),
    path("handovers/", views.handover_list, name="handover-list"),
    path("handovers/new/", views.handover_create, name="handover-create"),
    path("handovers/from-event/", views.handover_from_event, name="handover-from-event"),
    path("handovers/<int:pk>/", views.handover_detail, name="handover-detail"),
    path("handovers/<int:pk>/pdf/", views.handover_pdf, name="handover-pdf"),
    path("handover-lines/<int:pk>/correct/", views.line_correct, name="line-correct"),
    path("returns/", views.return_list, name="return-list"),
    path("returns/<int:pk>/correct/", views.return_correct, name="return-correct"),
    path("returns/new/", views.return_create, name="return-create"),
    path("holdings/", views.holdings_view, name="holdings"),
    path("returns-due/", views.returns_due_view, name="returns-due"),
    path("mine/", views.mine, name="mine"),
    path("people/<int:person_id>/", views.person, name="person"),
]
