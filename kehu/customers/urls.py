from django.urls import path

from kehu.customers.views import archive, contacts, pool, qualification, records

app_name = "customers"
urlpatterns = [
    path("", records.customer_list_view, name="list"),
    path("new/", records.customer_create_view, name="create"),
    path("duplicates/", records.duplicate_check_view, name="duplicate-check"),
    path("recycle-bin/", records.recycle_bin_view, name="recycle-bin"),
    path("<int:pk>/", records.customer_detail_view, name="detail"),
    path("<int:pk>/panels/", records.customer_panels_view, name="panels"),
    path("<int:pk>/edit/", records.customer_edit_view, name="edit"),
    path("<int:pk>/delete/", records.customer_delete_view, name="delete"),
    path("<int:pk>/restore/", records.customer_restore_view, name="restore"),
    path("<int:pk>/merge/", records.customer_merge_view, name="merge"),
    path("<int:pk>/contacts/new/", contacts.contact_create_view, name="contact-create"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit_view, name="contact-edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete_view, name="contact-delete"),
    path("pool/", pool.pool_list_view, name="pool"),
    path("<int:pk>/claim/", pool.customer_claim_view, name="claim"),
    path("<int:pk>/release/", pool.customer_release_view, name="release"),
    path("handover/", pool.handover_view, name="handover"),
    path("<int:pk>/archive/", archive.archive_view, name="archive"),
    path("<int:pk>/archive/spend/new/", archive.spend_create_view, name="archive-spend-create"),
    path("<int:pk>/archive/<slug:section>/edit/", archive.archive_section_edit_view, name="archive-section-edit"),
    path("archive/spend/<int:pk>/edit/", archive.spend_edit_view, name="archive-spend-edit"),
    path("archive/spend/<int:pk>/delete/", archive.spend_delete_view, name="archive-spend-delete"),
    path("<int:pk>/qualification/", qualification.qualification_view, name="qualification"),
    path("qualification-items/", qualification.qualification_items_view, name="qualification-items"),
]
